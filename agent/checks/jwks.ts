import type { JSONWebKeySet, JWK } from 'jose';

/** The only token signing algorithms accepted (RS256 and ES256/384/512; docs/security.md, threat 1). */
export const ALLOWED_ALGORITHMS = Object.freeze(['RS256', 'ES256', 'ES384', 'ES512'] as const);

/** One of {@link ALLOWED_ALGORITHMS}. */
export type AllowedAlgorithm = (typeof ALLOWED_ALGORITHMS)[number];

const EC_CURVES: Readonly<Record<string, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

function isAllowed(alg: unknown): alg is AllowedAlgorithm {
  return typeof alg === 'string' && (ALLOWED_ALGORITHMS as readonly string[]).includes(alg);
}

/** Whether `jwk` is a public RSA or EC signing key usable with an allowed algorithm. */
function isUsableKey(jwk: JWK): boolean {
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.alg !== undefined && !isAllowed(jwk.alg)) return false;
  if (jwk.kty === 'RSA') return jwk.alg === undefined || jwk.alg === 'RS256';
  if (jwk.kty === 'EC') {
    const curves = Object.values(EC_CURVES);
    return jwk.alg === undefined ? curves.includes(jwk.crv ?? '') : EC_CURVES[jwk.alg] === jwk.crv;
  }
  return false;
}

/**
 * Checks a fetched document is a JSON Web Key Set and keeps only the keys that can verify tokens
 * with an allowed algorithm (RSA for RS256, EC on the curve of its ES alg; no symmetric, OKP or
 * private keys). Throws an `Error` when the document is junk or no usable key is left, so the
 * caller keeps its last good set.
 */
export function toSigningKeySet(document: unknown): JSONWebKeySet {
  if (typeof document !== 'object' || document === null || !Array.isArray((document as JSONWebKeySet).keys))
    throw new Error('key set document has no "keys" array');
  const keys = (document as JSONWebKeySet).keys.filter(
    (key): key is JWK => typeof key === 'object' && key !== null && isUsableKey(key),
  );
  if (keys.length === 0) throw new Error('key set has no usable RS256/ES256/ES384/ES512 public key');
  return { keys };
}
