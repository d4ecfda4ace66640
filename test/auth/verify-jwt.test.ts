import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import fc from 'fast-check';
import { createLocalJWKSet, errors, type JWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { fromJoseError } from '../../agent/auth/jose-errors.js';
import { verifyJwt } from '../../agent/auth/verify-jwt.js';
import { ALLOWED_ALGORITHMS } from '../../agent/checks/jwks.js';

const ISSUER = 'https://issuer.example';
const AUDIENCE = 'pods.eks.amazonaws.com';
const NOW = 1_790_000_000;
const LEEWAY = 60;

type Signer = { readonly alg: string; readonly key: KeyObject };
const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve });
const pairs = {
  rsa: rsa(),
  rsaOther: rsa(),
  rsaSmall: generateKeyPairSync('rsa', { modulusLength: 1024 }),
  p256: ec('P-256'),
  p384: ec('P-384'),
  p521: ec('P-521'),
};
const jwk = (pair: { publicKey: KeyObject }, kid: string, extra: Partial<JWK> = {}): JWK => ({
  ...(pair.publicKey.export({ format: 'jwk' }) as JWK),
  kid,
  ...extra,
});
// In the set: RS256 "r1" and "small" (1024-bit, which jose refuses to use), ES256 "e1", ES384 "e3",
// ES512 "e5". An RS256 token without kid matches both RSA keys: multiple matching keys.
const getKey = createLocalJWKSet({
  keys: [
    jwk(pairs.rsa, 'r1', { alg: 'RS256' }),
    jwk(pairs.rsaSmall, 'small'),
    jwk(pairs.p256, 'e1'),
    jwk(pairs.p384, 'e3', { use: 'sig' }),
    jwk(pairs.p521, 'e5'),
  ],
});
const signers: Record<string, Signer> = {
  r1: { alg: 'RS256', key: pairs.rsa.privateKey },
  other: { alg: 'RS256', key: pairs.rsaOther.privateKey },
  small: { alg: 'RS256', key: pairs.rsaSmall.privateKey },
  e1: { alg: 'ES256', key: pairs.p256.privateKey },
  e3: { alg: 'ES384', key: pairs.p384.privateKey },
  e5: { alg: 'ES512', key: pairs.p521.privateKey },
};
const HASH: Record<string, string> = { RS256: 'sha256', ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' };

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A compact JWS of `header` and `payload` signed by `signer` (any header: a lie about alg or kid too). */
function compact(header: unknown, payload: unknown, signer: Signer | undefined): string {
  const input = `${b64(header)}.${b64(payload)}`;
  if (signer === undefined) return `${input}.`;
  const ecKey = signer.key.asymmetricKeyType === 'ec';
  const signature = sign(
    HASH[signer.alg] ?? 'sha256',
    Buffer.from(input),
    ecKey ? { key: signer.key, dsaEncoding: 'ieee-p1363' } : signer.key,
  );
  return `${input}.${signature.toString('base64url')}`;
}

const options = {
  algorithms: ALLOWED_ALGORITHMS,
  issuer: ISSUER,
  audience: AUDIENCE,
  clockTolerance: LEEWAY,
  currentDate: new Date(NOW * 1000),
  requiredClaims: ['exp', 'iat', 'sub'],
};

/** What a verifier said: the claims and header on accept, else the contract code, cacheability and error class. */
async function outcome(run: () => Promise<{ payload: unknown; protectedHeader: unknown }>) {
  try {
    const { payload, protectedHeader } = await run();
    return { accepted: true, payload, protectedHeader };
  } catch (error) {
    if (!(error instanceof errors.JOSEError)) return { accepted: false, thrown: (error as Error).name };
    return { accepted: false, ...fromJoseError(error), joseCode: error.code };
  }
}

const agree = async (token: string) => {
  const mine = await outcome(() => verifyJwt(token, getKey, options));
  const jose = await outcome(() =>
    jwtVerify(token, getKey, { ...options, algorithms: [...ALLOWED_ALGORITHMS] }),
  );
  expect(mine).toEqual(jose);
  return mine;
};

// Claims around the boundaries: times near now ± leeway, audiences as strings or lists, junk types.
const time = fc.oneof(
  fc.integer({ min: NOW - 2 * LEEWAY - 2, max: NOW + 2 * LEEWAY + 2 }),
  fc.integer({ min: NOW - 86_400, max: NOW + 86_400 }),
);
const audience = fc.oneof(
  fc.constant(AUDIENCE),
  fc.constantFrom('other', 'https://kubernetes.default.svc', ''),
  fc.array(fc.constantFrom(AUDIENCE, 'other', 'sts.amazonaws.com'), { maxLength: 3 }),
  fc.constant(42),
);
const claims = fc.record(
  {
    iss: fc.oneof(fc.constant(ISSUER), fc.constantFrom('https://evil.example', ''), fc.constant(7)),
    aud: audience,
    sub: fc.oneof(fc.constant('system:serviceaccount:default:app'), fc.constant(null)),
    iat: fc.oneof(time, fc.constant('yesterday')),
    exp: fc.oneof(time, fc.constant('1790000000'), fc.constant(null)),
    nbf: fc.oneof(time, fc.constant(true)),
    'kubernetes.io': fc.constant({ namespace: 'default', pod: { name: 'p', uid: 'u' } }),
  },
  { requiredKeys: ['iss', 'aud', 'exp'] },
);
const kid = fc.oneof(fc.constantFrom('r1', 'small', 'e1', 'e3', 'e5', 'unknown', ''), fc.constant(undefined));
const header = fc.record(
  {
    alg: fc.constantFrom('RS256', 'ES256', 'ES384', 'ES512', 'RS384', 'PS256', 'HS256', 'none', ''),
    kid,
    typ: fc.constantFrom('JWT', 'at+jwt'),
  },
  { requiredKeys: ['alg'] },
);
const signer = fc.constantFrom(...Object.keys(signers), 'none');

describe('verifyJwt against jose jwtVerify (differential)', () => {
  it('agrees on valid tokens of every allowed algorithm, multi-audience ones included, and returns the same claims', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('r1', 'e1', 'e3', 'e5'), claims, async (name, payload) => {
        const s = signers[name] as Signer;
        const token = compact(
          { alg: s.alg, kid: name },
          {
            ...payload,
            iss: ISSUER,
            sub: 'system:serviceaccount:default:app',
            iat: NOW,
            exp: NOW + 3600,
            nbf: NOW - 10,
          },
          s,
        );
        const result = await agree(token);
        expect(result.accepted).toBe(
          true ===
            (payload.aud === AUDIENCE || (Array.isArray(payload.aud) && payload.aud.includes(AUDIENCE))),
        );
      }),
      { numRuns: 60 },
    );
  });

  it('agrees at the edges of the leeway: exp and nbf a second either side of now ± leeway', async () => {
    const edge = fc.integer({ min: -2, max: 2 });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('r1', 'e1'),
        edge,
        edge,
        fc.boolean(),
        async (name, expShift, nbfShift, withNbf) => {
          const s = signers[name] as Signer;
          const payload = {
            iss: ISSUER,
            aud: AUDIENCE,
            sub: 's',
            iat: NOW,
            exp: NOW - LEEWAY + expShift,
            ...(withNbf ? { nbf: NOW + LEEWAY + nbfShift } : {}),
          };
          await agree(compact({ alg: s.alg, kid: name }, payload, s));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('agrees on any header, claims and signer: wrong alg, wrong or missing kid, alg none, re-signed, expired, not yet valid', async () => {
    await fc.assert(
      fc.asyncProperty(header, claims, signer, async (h, payload, name) => {
        await agree(compact(h, payload, name === 'none' ? undefined : signers[name]));
      }),
      { numRuns: 400 },
    );
  });

  it('agrees on tampered tokens: any character of any segment changed', async () => {
    const base = compact(
      { alg: 'RS256', kid: 'r1' },
      { iss: ISSUER, aud: AUDIENCE, sub: 's', iat: NOW, exp: NOW + 600 },
      signers.r1,
    );
    const ecBase = compact(
      { alg: 'ES256', kid: 'e1' },
      { iss: ISSUER, aud: AUDIENCE, sub: 's', iat: NOW, exp: NOW + 600 },
      signers.e1,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(base, ecBase),
        fc.nat(),
        fc.constantFrom(...'AZaz09-_.=+/ '.split(''), ''),
        async (token, at, replacement) => {
          const i = at % token.length;
          await agree(token.slice(0, i) + replacement + token.slice(i + 1));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agrees on malformed tokens: wrong segment counts, junk JSON, non-object headers and claims, bad base64url', async () => {
    const segment = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'AQw-_='.split('')), maxLength: 12 }),
      fc.constantFrom(
        b64('{'),
        b64('[]'),
        b64('null'),
        b64('"x"'),
        b64({ alg: 'RS256', kid: 'r1' }),
        b64({ alg: 'RS256', crit: ['b64'], b64: false }),
      ),
      fc.json().map(b64),
      fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 4 }), async (segments) => {
        await agree(segments.join('.'));
      }),
      { numRuns: 400 },
    );
  });
});
