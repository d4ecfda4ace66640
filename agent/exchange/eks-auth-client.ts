import { randomUUID } from 'node:crypto';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { checkInteger, checkRegion } from '../checks/option-checks.js';
import { withDeadline } from '../deadline.js';
import { createUpstreamAgents, type UpstreamRoute } from '../upstream/upstream-agents.js';
import {
  type ByteResponse,
  createHttpTransport,
  DEFAULT_MAX_SOCKETS,
  type HttpTransport,
} from './eks-auth-http.js';
import { createSigV4Signer, type SigV4Signer } from './sigv4-signer.js';

/**
 * A thin stand-in for `@aws-sdk/client-eks-auth` (not available from our registry), shaped like it
 * so the real package can replace this file alone: `new EksAuthClient(config).send(new
 * AssumeRoleForPodIdentityCommand(input), { abortSignal })`. API model: botocore
 * `eks-auth/2023-11-26` (rest-json, SigV4 signing name `eks-auth`). One HTTP request per `send`:
 * retries live in `retry.ts`, not here.
 */

/** Input of `AssumeRoleForPodIdentity`. */
export interface AssumeRoleForPodIdentityCommandInput {
  readonly clusterName: string;
  /** The pod's projected service-account token. Sent in the body only; never logged. */
  readonly token: string;
}

/** Output of `AssumeRoleForPodIdentity`, as the SDK returns it (`expiration` parsed to a `Date`). */
export interface AssumeRoleForPodIdentityCommandOutput {
  subject?: { namespace?: string; serviceAccount?: string };
  audience?: string;
  podIdentityAssociation?: { associationArn?: string; associationId?: string };
  assumedRoleUser?: { arn?: string; assumeRoleId?: string };
  credentials?: { sessionToken?: string; secretAccessKey?: string; accessKeyId?: string; expiration?: Date };
  $metadata: { httpStatusCode?: number; requestId?: string };
}

/** The command object, as in the SDK. */
export class AssumeRoleForPodIdentityCommand {
  readonly input: AssumeRoleForPodIdentityCommandInput;
  constructor(input: AssumeRoleForPodIdentityCommandInput) {
    this.input = input;
  }
}

/** Options of {@link EksAuthClient}. */
export interface EksAuthClientConfig {
  /** AWS region, e.g. `us-east-1`: signing region and default endpoint. */
  readonly region: string;
  /** Overrides the default endpoint `https://eks-auth.{region}.api.aws`. */
  readonly endpoint?: URL | string | undefined;
  /** Signing credentials, static or a provider. Default: `fromNodeProviderChain()` (the node's default AWS chain). */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  /** Deadline of one HTTP request in milliseconds (connect to last byte). Default 5000. */
  readonly requestTimeoutMs?: number | undefined;
  /** Default endpoint `https://eks-auth-fips.{region}.api.aws` (`AWS_USE_FIPS_ENDPOINT`). */
  readonly useFipsEndpoint?: boolean | undefined;
  /** Proxies (`HTTPS_PROXY`, `NO_PROXY`) and CA bundle of the calls. Default: direct, system roots. */
  readonly route?: UpstreamRoute | undefined;
}

/**
 * An error answered by EKS Auth, shaped like the SDK's `ServiceException`: `name` is the error type
 * (`AccessDeniedException`, ...). The message is the type too, never the upstream text, so it is safe to log.
 */
export class EksAuthServiceException extends Error {
  override readonly name: string;
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number; requestId?: string | undefined };
  /**
   * For `ResourceNotFoundException`: what EKS Auth did not find, read from its message (which is
   * not kept): the pod's `association`, or the `cluster` (name or region wrong).
   */
  readonly notFound: 'association' | 'cluster' | undefined;

  constructor(
    name: string,
    httpStatusCode: number,
    requestId: string | undefined,
    notFound?: 'association' | 'cluster' | undefined,
  ) {
    super(name);
    this.name = name;
    this.$fault = httpStatusCode >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode, requestId };
    this.notFound = notFound;
  }
}

/**
 * The node's default AWS credential chain, imported on the first signature rather than at start-up
 * (the package takes ~0.1 s to load; readiness does not need it).
 */
function lazyNodeProviderChain(): AwsCredentialIdentityProvider {
  let chain: Promise<AwsCredentialIdentityProvider> | undefined;
  return async (options) => {
    chain ??= import('@aws-sdk/credential-providers').then((m) => m.fromNodeProviderChain());
    return (await chain)(options);
  };
}

const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/;

/** Client for the EKS Auth API (only `AssumeRoleForPodIdentity`, the one operation it has). */
export class EksAuthClient {
  readonly #endpoint: URL;
  readonly #sign: SigV4Signer;
  readonly #credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  readonly #timeoutMs: number;
  readonly #transport: HttpTransport;

  constructor(config: EksAuthClientConfig) {
    checkRegion(config.region);
    const timeoutMs = checkInteger('requestTimeoutMs', config.requestTimeoutMs ?? 5000);
    const host = config.useFipsEndpoint === true ? 'eks-auth-fips' : 'eks-auth';
    const endpoint = new URL(config.endpoint ?? `https://${host}.${config.region}.api.aws`);
    if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:')
      throw new TypeError('"endpoint" must be an http or https URL');
    this.#endpoint = endpoint;
    this.#timeoutMs = timeoutMs;
    if (config.route === undefined) this.#transport = createHttpTransport();
    else {
      const agents = createUpstreamAgents(config.route, { maxSockets: DEFAULT_MAX_SOCKETS });
      const transport = createHttpTransport({ agentFor: (url) => agents.agentFor(url) });
      this.#transport = {
        post: transport.post,
        destroy: () => {
          transport.destroy();
          agents.destroy();
        },
      };
    }
    this.#credentials = config.credentials ?? lazyNodeProviderChain();
    this.#sign = createSigV4Signer(config.region, 'eks-auth');
  }

  /** The endpoint requests go to (`endpoint`, else the regional or FIPS default). */
  get endpoint(): URL {
    return new URL(this.#endpoint);
  }

  /** Sends one request. Rejects with {@link EksAuthServiceException}, or the network/timeout error itself. */
  async send(
    command: AssumeRoleForPodIdentityCommand,
    options: { abortSignal?: AbortSignal | undefined } = {},
  ): Promise<AssumeRoleForPodIdentityCommandOutput> {
    const { clusterName, token } = command.input;
    if (!CLUSTER_NAME.test(clusterName)) throw new TypeError('"clusterName" is not a valid EKS cluster name');
    const base = this.#endpoint.pathname.replace(/\/+$/, '');
    const path = `${base}/clusters/${encodeURIComponent(clusterName)}/assume-role-for-pod-identity`;
    const body = JSON.stringify({ token });
    const credentials =
      typeof this.#credentials === 'function' ? await this.#credentials() : this.#credentials;
    const headers = this.#sign(
      {
        method: 'POST',
        path,
        headers: {
          host: this.#endpoint.host,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'amz-sdk-invocation-id': randomUUID(),
        },
        body,
      },
      credentials,
      new Date(),
    );
    const url = new URL(path, this.#endpoint);
    const response = await withDeadline(this.#timeoutMs, options.abortSignal, (signal) =>
      this.#transport.post(url, headers, body, signal),
    );
    return parseResponse(response);
  }

  /** Closes idle keep-alive connections (as the SDK's `destroy()`). */
  destroy(): void {
    this.#transport.destroy();
  }
}

function parseResponse(response: ByteResponse): AssumeRoleForPodIdentityCommandOutput {
  const requestId = response.headers['x-amzn-requestid'];
  const text = response.body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (response.statusCode < 200 || response.statusCode > 299) {
    const type = errorType(response, parsed);
    throw new EksAuthServiceException(
      type,
      response.statusCode,
      requestId,
      type === 'ResourceNotFoundException' ? notFoundOf(parsed) : undefined,
    );
  }
  if (!isObject(parsed))
    throw new EksAuthServiceException('DeserializationError', response.statusCode, requestId);
  const creds = isObject(parsed.credentials) ? parsed.credentials : undefined;
  return {
    ...(parsed as Omit<AssumeRoleForPodIdentityCommandOutput, '$metadata'>),
    ...(creds ? { credentials: { ...creds, expiration: toDate(creds.expiration) } } : {}),
    $metadata: { httpStatusCode: response.statusCode, requestId },
  } as AssumeRoleForPodIdentityCommandOutput;
}

/** rest-json error code: header first, then body `code`/`__type`; drop `:` suffixes and namespaces. */
function errorType(response: ByteResponse, body: unknown): string {
  const fromBody = isObject(body) ? (body.code ?? body.Code ?? body.__type) : undefined;
  const raw = response.headers['x-amzn-errortype'] ?? (typeof fromBody === 'string' ? fromBody : undefined);
  const cleaned = raw?.split(':')[0]?.split('#').pop()?.trim();
  return cleaned !== undefined && /^[A-Za-z0-9_.]{1,100}$/.test(cleaned) ? cleaned : 'UnknownError';
}

/**
 * What a `ResourceNotFoundException` is about, from its message: an association (the pod's
 * service account has none; the common case, so the default) or the cluster in the URL path.
 */
function notFoundOf(body: unknown): 'association' | 'cluster' {
  const raw = isObject(body) ? (body.message ?? body.Message) : undefined;
  const message = typeof raw === 'string' ? raw : '';
  return /association/i.test(message) || !/cluster/i.test(message) ? 'association' : 'cluster';
}

/** rest-json timestamps default to epoch seconds; accept ISO strings too. */
function toDate(value: unknown): Date | undefined {
  if (typeof value === 'number') return new Date(value * 1000);
  if (typeof value === 'string') {
    const n = Number(value);
    return Number.isFinite(n) && value.trim() !== '' ? new Date(n * 1000) : new Date(value);
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
