import type { RoleCredentials } from '../exchange/credential-exchanger.js';

const bodies = new WeakMap<RoleCredentials, Buffer>();

/** UTC RFC 3339 ending in `Z`, whole seconds (clients.md: JS rejects `+00:00`, botocore needs a zone). */
export function formatExpiration(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The container-credentials JSON body (contract §1), computed once per credentials object: every
 * hit for the same credentials answers with the same bytes. A Buffer, because fastify would append
 * `; charset=utf-8` to a string body and Go's SDK wants `application/json` exactly (clients.md).
 */
export function toCredentialsBody(credentials: RoleCredentials): Buffer {
  let body = bodies.get(credentials);
  if (body === undefined) {
    body = Buffer.from(
      JSON.stringify({
        AccessKeyId: credentials.accessKeyId,
        SecretAccessKey: credentials.secretAccessKey,
        Token: credentials.sessionToken,
        AccountId: credentials.accountId,
        Expiration: formatExpiration(credentials.expiration),
      }),
    );
    bodies.set(credentials, body);
  }
  return body;
}
