import { AgentError } from '../errors.js';

/** Largest accepted token, characters (docs/api.md: over 16 KiB is `MalformedToken`). */
export const MAX_TOKEN_LENGTH = 16 * 1024;

/** The fixed hint sent when a client adds `Bearer ` (docs/api.md). No token text in it. */
export const BEARER_MESSAGE =
  "The Authorization header must be the raw service-account token, without a 'Bearer ' prefix.";

const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;
// Three base64url segments; the signature may be empty so that `alg: none` reaches the verifier
// and is refused as InvalidToken, as the error table in docs/api.md says.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Checks the raw `Authorization` value before any hashing or crypto, and returns it as the token.
 *
 * @throws AgentError `MissingToken` when absent or empty; `MalformedToken` for a `Bearer ` prefix,
 *   CR/LF or other non-printable characters, more than {@link MAX_TOKEN_LENGTH} characters, or
 *   anything that is not three base64url segments.
 */
export function checkRawToken(header: string | undefined): string {
  if (header === undefined || header.length === 0) throw new AgentError('MissingToken');
  if (/^bearer\s/i.test(header)) throw new AgentError('MalformedToken', { message: BEARER_MESSAGE });
  if (header.length > MAX_TOKEN_LENGTH)
    throw new AgentError('MalformedToken', { cause: new Error('token is longer than 16 KiB') });
  if (!PRINTABLE_ASCII.test(header))
    throw new AgentError('MalformedToken', {
      cause: new Error('token has CR, LF, spaces or non-printable characters'),
    });
  if (!COMPACT_JWS.test(header))
    throw new AgentError('MalformedToken', { cause: new Error('token is not three base64url segments') });
  return header;
}
