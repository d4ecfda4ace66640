import { errors } from 'jose';
import { describe, expect, it } from 'vitest';
import { fromJoseError } from '../../agent/auth/jose-errors.js';

describe('fromJoseError', () => {
  const rows: [what: string, error: unknown, code: string, cacheable: boolean][] = [
    ['an expired token', new errors.JWTExpired('expired', {}, 'exp', 'check_failed'), 'ExpiredToken', true],
    [
      'a token not valid yet',
      new errors.JWTClaimValidationFailed('nbf', {}, 'nbf', 'check_failed'),
      'ExpiredToken',
      false,
    ],
    [
      'a token issued in the future',
      new errors.JWTClaimValidationFailed('iat', {}, 'iat', 'check_failed'),
      'ExpiredToken',
      false,
    ],
    [
      'a malformed iat',
      new errors.JWTClaimValidationFailed('iat', {}, 'iat', 'invalid'),
      'InvalidToken',
      true,
    ],
    [
      'a wrong audience',
      new errors.JWTClaimValidationFailed('aud', {}, 'aud', 'check_failed'),
      'InvalidToken',
      true,
    ],
    ['a bad signature', new errors.JWSSignatureVerificationFailed(), 'InvalidToken', true],
    ['a refused algorithm', new errors.JOSEAlgNotAllowed('alg'), 'InvalidToken', true],
    ['an unknown kid', new errors.JWKSNoMatchingKey(), 'InvalidToken', false],
    ['an ambiguous kid', new errors.JWKSMultipleMatchingKeys(), 'InvalidToken', false],
  ];
  // The error object goes last: the title names what, code and cacheable.
  it.each(rows.map(([what, error, code, cacheable]) => [what, code, cacheable, error] as const))(
    'answers %s with %s (negatively cacheable: %s)',
    (_, code, cacheable, error) => {
      expect(fromJoseError(error)).toEqual({ code, cacheable });
    },
  );
});
