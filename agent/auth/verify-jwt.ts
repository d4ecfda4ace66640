import { KeyObject, verify as verifySignature } from 'node:crypto';
import {
  type CryptoKey,
  errors,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type JWTPayload,
  jwtVerify,
} from 'jose';

/** The options of {@link verifyJwt}: the subset of jose's `jwtVerify` options the agent uses. */
export interface VerifyJwtOptions {
  readonly algorithms: readonly string[];
  readonly issuer: string;
  readonly audience: string;
  /** Seconds of leeway on `exp` and `nbf`. */
  readonly clockTolerance: number;
  readonly currentDate: Date;
  readonly requiredClaims: readonly string[];
}

/** jose's key lookup: resolves the key for a token's header (e.g. a local JWKS). */
export type GetKey = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

/** The node:crypto digest and signature encoding of each algorithm this verifier handles itself. */
const ALGORITHMS: Readonly<Record<string, { hash: string; ec: boolean }>> = {
  RS256: { hash: 'sha256', ec: false },
  ES256: { hash: 'sha256', ec: true },
  ES384: { hash: 'sha384', ec: true },
  ES512: { hash: 'sha512', ec: true },
};
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

/** A plain JSON object, as jose's `isObject` tells it (JSON.parse only makes plain ones). */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** base64url bytes, or undefined where jose's decoder could judge differently (left to jose). */
function decodeSegment(segment: string): Buffer | undefined {
  return BASE64URL.test(segment) && segment.length % 4 !== 1 ? Buffer.from(segment, 'base64url') : undefined;
}

function parseJson(bytes: Buffer): unknown {
  return JSON.parse(strictUtf8.decode(bytes));
}

/** `new Date` → NumericDate, as jose computes it. */
const epoch = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * Verifies a compact JWS JWT exactly as jose's `jwtVerify` does with these options (same accepts,
 * same claims, same error classes), but checks the signature with node:crypto synchronously on a
 * KeyObject made once per key, instead of WebCrypto's asynchronous job per call. The key is still
 * looked up through `getKey` (jose's JWKS selection). Tokens with anything this path does not model
 * (`crit` or `b64` headers, segments jose's base64url decoder might read differently, algorithms
 * other than RS256 and ES256/384/512) are handed to `jwtVerify` itself. A differential property
 * test holds the two equal (test/auth/verify-jwt.test.ts).
 */
export async function verifyJwt(
  token: string,
  getKey: GetKey,
  options: VerifyJwtOptions,
): Promise<{ payload: JWTPayload; protectedHeader: JWSHeaderParameters }> {
  const jose = () =>
    jwtVerify(token, getKey, {
      ...options,
      algorithms: [...options.algorithms],
      requiredClaims: [...options.requiredClaims],
    });
  const parts = token.split('.');
  if (parts.length !== 3) throw new errors.JWSInvalid('Invalid Compact JWS');
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  const headerBytes = decodeSegment(encodedHeader);
  const payloadBytes = decodeSegment(encodedPayload);
  const signature = decodeSegment(encodedSignature);
  if (headerBytes === undefined || payloadBytes === undefined || signature === undefined) return jose();
  let header: unknown;
  try {
    header = parseJson(headerBytes);
  } catch (cause) {
    throw new errors.JWSInvalid('JWS Protected Header is invalid', { cause });
  }
  if (!isObject(header)) throw new errors.JWSInvalid('JWS Protected Header is invalid');
  if (header.crit !== undefined || header.b64 !== undefined) return jose();
  const { alg } = header;
  if (typeof alg !== 'string' || alg === '')
    throw new errors.JWSInvalid('JWS "alg" (Algorithm) Header Parameter missing or invalid');
  if (!options.algorithms.includes(alg))
    throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
  const entry = ALGORITHMS[alg];
  if (entry === undefined) return jose();
  const protectedHeader = header as JWSHeaderParameters;
  const cryptoKey = await getKey(protectedHeader, {
    payload: encodedPayload,
    protected: encodedHeader,
    signature: encodedSignature,
  });
  let key = keyObjects.get(cryptoKey);
  if (key === undefined) {
    key = KeyObject.from(cryptoKey);
    keyObjects.set(cryptoKey, key);
  }
  if (!entry.ec && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048)
    throw new TypeError(`${alg} requires key modulusLength to be 2048 bits or larger`);
  let verified = false;
  try {
    verified = verifySignature(
      entry.hash,
      Buffer.from(`${encodedHeader}.${encodedPayload}`, 'latin1'),
      entry.ec ? { key, dsaEncoding: 'ieee-p1363' } : key,
      signature,
    );
  } catch (cause) {
    throw new errors.JWSSignatureVerificationFailed(undefined, { cause });
  }
  if (!verified) throw new errors.JWSSignatureVerificationFailed();
  return { payload: checkClaims(payloadBytes, options), protectedHeader };
}

function claimFailed(message: string, claims: JWTPayload, claim: string, reason: string): never {
  throw new errors.JWTClaimValidationFailed(message, claims, claim, reason);
}

/** jose's `validateClaimsSet` for {@link VerifyJwtOptions}, in its order. */
function checkClaims(bytes: Buffer, options: VerifyJwtOptions): JWTPayload {
  let parsed: unknown;
  try {
    parsed = parseJson(bytes);
  } catch (cause) {
    throw new errors.JWTInvalid('JWT Claims Set must be a top-level JSON object', { cause });
  }
  if (!isObject(parsed)) throw new errors.JWTInvalid('JWT Claims Set must be a top-level JSON object');
  const claims = parsed as JWTPayload;
  for (const claim of new Set([...options.requiredClaims, 'aud', 'iss'].reverse()))
    if (!Object.hasOwn(claims, claim))
      claimFailed(`missing required "${claim}" claim`, claims, claim, 'missing');
  if (claims.iss !== options.issuer)
    claimFailed('unexpected "iss" claim value', claims, 'iss', 'check_failed');
  const { aud } = claims;
  if (!(aud === options.audience || (Array.isArray(aud) && aud.includes(options.audience))))
    claimFailed('unexpected "aud" claim value', claims, 'aud', 'check_failed');
  const tolerance = options.clockTolerance;
  const now = epoch(options.currentDate);
  const numeric = (claim: 'iat' | 'nbf' | 'exp') => {
    const value = claims[claim];
    if (value !== undefined && typeof value !== 'number')
      claimFailed(`"${claim}" claim must be a number`, claims, claim, 'invalid');
    return value;
  };
  numeric('iat');
  const nbf = numeric('nbf');
  if (nbf !== undefined && nbf > now + tolerance)
    claimFailed('"nbf" claim timestamp check failed', claims, 'nbf', 'check_failed');
  const exp = numeric('exp');
  if (exp !== undefined && exp <= now - tolerance)
    throw new errors.JWTExpired('"exp" claim timestamp check failed', claims, 'exp', 'check_failed');
  return claims;
}
