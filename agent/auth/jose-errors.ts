import { errors as joseErrors } from 'jose';
import type { AgentErrorCode } from '../errors.js';

/** How a failed jose verification is answered. */
export interface JoseFailure {
  /** The error code: `ExpiredToken` or `InvalidToken`. */
  readonly code: AgentErrorCode;
  /** False when retrying may succeed, so the rejection must not enter the negative cache. */
  readonly cacheable: boolean;
}

/**
 * Maps a jose failure to the agent's error code: `exp` passed, or `nbf`/`iat` in the future, is
 * `ExpiredToken` (docs/security.md threat 10); anything else is `InvalidToken`. Only a token that is not
 * valid yet, or whose key is unknown, may become acceptable later, so only those are not cacheable.
 */
export function fromJoseError(error: unknown): JoseFailure {
  if (error instanceof joseErrors.JWTExpired) return { code: 'ExpiredToken', cacheable: true };
  if (
    error instanceof joseErrors.JWTClaimValidationFailed &&
    (error.claim === 'nbf' || error.claim === 'iat') &&
    error.reason === 'check_failed'
  )
    // Not yet valid: it becomes valid on its own, so it must not stay refused from the negative cache.
    return { code: 'ExpiredToken', cacheable: false };
  // No key for this kid even after a refetch: a rotation may still be propagating, so no negative caching.
  const noKey =
    error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys;
  return { code: 'InvalidToken', cacheable: !noKey };
}
