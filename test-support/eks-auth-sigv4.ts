/**
 * Checks an incoming request's AWS SigV4 `Authorization` header by signing the same request again
 * with @smithy/signature-v4 and the known caller credentials, as AWS does on its side.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

/** Credentials the verifier accepts. */
export interface SigV4Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/** The request as received. */
export interface SigV4Request {
  readonly method: string;
  /** Path and query as on the request line. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** An AWS error type and status, or undefined when the signature is good. */
export type SigV4Failure = { readonly type: string; readonly status: number; readonly message: string };

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
/** AWS accepts requests signed up to 5 minutes off its clock. */
const MAX_SKEW_MS = 5 * 60 * 1000;

/** Verifies `request` was signed for `service` in `region` with `credentials`; `now` is wall-clock ms. */
export async function verifySigV4(
  request: SigV4Request,
  expected: { credentials: SigV4Credentials; region: string; service: string; now: number },
): Promise<SigV4Failure | undefined> {
  const header = request.headers.authorization;
  if (header === undefined)
    return {
      type: 'MissingAuthenticationTokenException',
      status: 403,
      message: 'Missing Authentication Token',
    };
  const match = AUTH.exec(header);
  if (match === null)
    return {
      type: 'IncompleteSignatureException',
      status: 400,
      message: 'Authorization header is malformed.',
    };
  const [, keyId, , region, service, signedList, signature] = match as unknown as string[];
  const { credentials } = expected;
  if (keyId !== credentials.accessKeyId)
    return {
      type: 'UnrecognizedClientException',
      status: 403,
      message: 'The security token included in the request is invalid.',
    };
  if (region !== expected.region || service !== expected.service)
    return {
      type: 'InvalidSignatureException',
      status: 403,
      message: 'Credential should be scoped to a valid region and service.',
    };
  const amzDate = one(request.headers['x-amz-date']);
  const signingDate = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (signingDate === undefined || Math.abs(signingDate.getTime() - expected.now) > MAX_SKEW_MS)
    return { type: 'InvalidSignatureException', status: 403, message: 'Signature expired or date missing.' };
  const signed = (signedList as string).split(';');
  const claimedHash = one(request.headers['x-amz-content-sha256']);
  if (claimedHash !== undefined && claimedHash !== createHash('sha256').update(request.body).digest('hex'))
    return { type: 'InvalidSignatureException', status: 400, message: 'The payload hash does not match.' };
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = one(request.headers[name]);
    if (value === undefined)
      return { type: 'InvalidSignatureException', status: 403, message: 'A signed header is missing.' };
    headers[name] = value;
  }
  const url = new URL(request.url, 'http://localhost');
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const signer = new SignatureV4({
    service: expected.service,
    region: expected.region,
    credentials,
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: signed.includes('x-amz-content-sha256'),
  });
  const again = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: 'localhost',
      path: url.pathname,
      query,
      headers,
      body: request.body,
    },
    { signingDate },
  );
  const recomputed = /Signature=([0-9a-f]{64})$/.exec(again.headers.authorization ?? '')?.[1] ?? '';
  const good =
    recomputed.length === 64 && timingSafeEqual(Buffer.from(recomputed), Buffer.from(signature as string));
  return good
    ? undefined
    : {
        type: 'InvalidSignatureException',
        status: 403,
        message: 'The request signature we calculated does not match.',
      };
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** `20260921T093000Z` → Date. */
function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return new Date(Date.UTC(y as number, (mo as number) - 1, d, h, mi, s));
}
