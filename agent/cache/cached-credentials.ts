import type { RoleCredentials } from '../exchange/credential-exchanger.js';

/**
 * Credentials as the cache holds and the route serves them. The secret key and session token live
 * only inside `body`: the cache keeps credentials for hours, and holding the ~1.2 KB session token
 * both as a string and in the body would double each identity's share of memory
 * (docs/performance.md, memory).
 */
export interface CachedCredentials {
  readonly accessKeyId: string;
  /** Account of the assumed role, from its ARN. */
  readonly accountId: string;
  /** ARN of the role whose session this is. */
  readonly roleArn: string;
  /** Expiry, milliseconds since the epoch. */
  readonly expiration: number;
  /** `Expiration` exactly as `body` sends it, for the audit line. */
  readonly expirationText: string;
  /**
   * The container-credentials JSON `{AccessKeyId, SecretAccessKey, Token, AccountId, Expiration}`.
   * Bytes, because fastify would append `; charset=utf-8` to a string body and the Go SDK accepts
   * only `application/json` exactly.
   */
  readonly body: Buffer;
}

/**
 * UTC RFC 3339 ending in `Z`, whole seconds: the JS SDK rejects `+00:00`, botocore needs a zone.
 */
export function formatExpiration(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The cached form of credentials an exchanger returned: their response built once, now. */
export function toCachedCredentials(credentials: RoleCredentials): CachedCredentials {
  const expirationText = formatExpiration(credentials.expiration);
  const json = JSON.stringify({
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    Token: credentials.sessionToken,
    AccountId: credentials.accountId,
    Expiration: expirationText,
  });
  // Its own exact-size allocation, not a slice of Node's shared 8 KiB pool (`Buffer.from`): the
  // body lives as long as the cached credentials, and a pooled slice keeps its whole slab alive. In
  // the running agent other pool users fill the slab between two misses, so each cached body held
  // ~6 KiB of slabs instead of its ~1.4 KB (heap snapshot of the agent with 3,000 identities).
  const body = Buffer.allocUnsafeSlow(Buffer.byteLength(json));
  body.write(json);
  return {
    accessKeyId: credentials.accessKeyId,
    accountId: credentials.accountId,
    roleArn: credentials.roleArn,
    expiration: credentials.expiration,
    expirationText,
    body,
  };
}
