import type { RoleCredentials } from '../exchange/credential-exchanger.js';

/** What the route sends and logs for one credentials object. */
export interface CredentialsResponse {
  /**
   * The container-credentials JSON (contract §1). Bytes, because fastify would append
   * `; charset=utf-8` to a string body and Go's SDK wants `application/json` exactly (clients.md).
   */
  readonly body: Buffer;
  /** `Expiration` as sent, for the audit line. */
  readonly expiration: string;
}

const responses = new WeakMap<RoleCredentials, CredentialsResponse>();

/** UTC RFC 3339 ending in `Z`, whole seconds (clients.md: JS rejects `+00:00`, botocore needs a zone). */
export function formatExpiration(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Credentials whose secrets live only inside their response body (see {@link sealCredentials}); the
 * secret fields are read back from it on the rare occasion someone asks.
 */
class SealedCredentials implements RoleCredentials {
  readonly accessKeyId: string;
  readonly accountId: string;
  readonly roleArn: string;
  readonly expiration: number;

  constructor(credentials: RoleCredentials) {
    this.accessKeyId = credentials.accessKeyId;
    this.accountId = credentials.accountId;
    this.roleArn = credentials.roleArn;
    this.expiration = credentials.expiration;
  }

  get secretAccessKey(): string {
    return secretsOf(this).SecretAccessKey;
  }

  get sessionToken(): string {
    return secretsOf(this).Token;
  }
}

function secretsOf(credentials: SealedCredentials): { SecretAccessKey: string; Token: string } {
  return JSON.parse(toCredentialsResponse(credentials).body.toString('utf8'));
}

/**
 * The same credentials with their response built now, holding the secret key and session token only
 * inside the response body. The cache keeps what the exchanger returns for hours: unsealed, each
 * identity would hold the ~1.2 KB session token twice, as a string and again in the body
 * (docs/performance.md, memory). Use it on what the exchanger returns, before it is cached.
 */
export function sealCredentials(credentials: RoleCredentials): RoleCredentials {
  if (credentials instanceof SealedCredentials) return credentials;
  const sealed = new SealedCredentials(credentials);
  responses.set(sealed, buildResponse(credentials));
  return sealed;
}

/**
 * The response for `credentials`, computed once per credentials object: every hit for the same
 * credentials answers with the same bytes and logs the same expiry text.
 */
export function toCredentialsResponse(credentials: RoleCredentials): CredentialsResponse {
  let response = responses.get(credentials);
  if (response === undefined) {
    response = buildResponse(credentials);
    responses.set(credentials, response);
  }
  return response;
}

function buildResponse(credentials: RoleCredentials): CredentialsResponse {
  const expiration = formatExpiration(credentials.expiration);
  const json = JSON.stringify({
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    Token: credentials.sessionToken,
    AccountId: credentials.accountId,
    Expiration: expiration,
  });
  // Its own exact-size allocation, not a slice of Node's shared 8 KiB pool (`Buffer.from`): the
  // body lives as long as the cached credentials, and a pooled slice keeps its whole slab alive. In
  // the running agent other pool users fill the slab between two misses, so each cached body held
  // ~6 KiB of slabs instead of its ~1.4 KB (heap snapshot of the agent with 3,000 identities).
  const body = Buffer.allocUnsafeSlow(Buffer.byteLength(json));
  body.write(json);
  return { body, expiration };
}
