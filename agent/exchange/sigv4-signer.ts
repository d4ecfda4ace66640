import { createHash, createHmac } from 'node:crypto';

/** The keys a request is signed with. */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/** A request to sign: no query string (the agent's one call has none), a string body. */
export interface SignableRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Signs requests for one region and service. */
export type SigV4Signer = (
  request: SignableRequest,
  credentials: SigningCredentials,
  now: Date,
) => Record<string, string>;

/** Headers never signed (as the AWS SDK's signer: hop-by-hop, proxies', browsers'). */
const UNSIGNABLE = new Set([
  'authorization',
  'cache-control',
  'connection',
  'expect',
  'from',
  'keep-alive',
  'max-forwards',
  'pragma',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);
/** Headers the signer makes itself: dropped from the input. */
const GENERATED = new Set(['authorization', 'x-amz-date', 'date']);
const CONTENT_SHA256 = 'x-amz-content-sha256';

const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding, as the SDK's `escapeUri`. */
const escapeUri = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The SDK's canonical path: dot segments and empty segments removed, then each byte escaped again. */
function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment.length === 0 || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

/**
 * Creates an AWS Signature Version 4 signer (header signing, `AWS4-HMAC-SHA256`) for `region` and
 * `service`, on node:crypto and synchronous. It writes exactly the headers `@smithy/signature-v4`
 * writes for the same request (`x-amz-date`, `x-amz-security-token` with a session token,
 * `x-amz-content-sha256`, `authorization`), which a differential test holds equal, and derives the
 * signing key once per day and secret key rather than once per request.
 */
export function createSigV4Signer(region: string, service: string): SigV4Signer {
  let cached: { readonly day: string; readonly secret: string; readonly key: Buffer } | undefined;
  const signingKey = (day: string, secret: string): Buffer => {
    if (cached === undefined || cached.day !== day || cached.secret !== secret) {
      let key = hmac(`AWS4${secret}`, day);
      for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
      cached = { day, secret, key };
    }
    return cached.key;
  };

  return (request, credentials, now) => {
    const longDate = now
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z')
      .replace(/[-:]/g, '');
    const day = longDate.slice(0, 8);
    const scope = `${day}/${region}/${service}/aws4_request`;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers))
      if (!GENERATED.has(name.toLowerCase())) headers[name] = value;
    headers['x-amz-date'] = longDate;
    if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
    const given = Object.keys(headers).find((name) => name.toLowerCase() === CONTENT_SHA256);
    const payloadHash = given === undefined ? sha256Hex(request.body) : (headers[given] as string);
    if (given === undefined) headers[CONTENT_SHA256] = payloadHash;
    const canonical = new Map<string, string>();
    for (const name of Object.keys(headers).sort()) {
      const lower = name.toLowerCase();
      if (UNSIGNABLE.has(lower) || lower.startsWith('proxy-') || lower.startsWith('sec-')) continue;
      const value = (headers[name] as string)
        .replace(/[\r\n]/g, ' ')
        .replace(/[ \t]+/g, ' ')
        .replace(/^ | $/g, '');
      canonical.set(lower, value);
    }
    const names = [...canonical.keys()].sort();
    const signedHeaders = names.join(';');
    const canonicalRequest = [
      request.method,
      canonicalPath(request.path),
      '',
      ...names.map((name) => `${name}:${canonical.get(name)}`),
      '',
      signedHeaders,
      payloadHash,
    ].join('\n');
    const stringToSign = `AWS4-HMAC-SHA256\n${longDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
    const signature = createHmac('sha256', signingKey(day, credentials.secretAccessKey))
      .update(stringToSign, 'utf8')
      .digest('hex');
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  };
}
