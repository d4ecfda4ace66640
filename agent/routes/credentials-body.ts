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
 * The response for `credentials`, computed once per credentials object: every hit for the same
 * credentials answers with the same bytes and logs the same expiry text.
 */
export function toCredentialsResponse(credentials: RoleCredentials): CredentialsResponse {
  let response = responses.get(credentials);
  if (response === undefined) {
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
    response = { body, expiration };
    responses.set(credentials, response);
  }
  return response;
}
