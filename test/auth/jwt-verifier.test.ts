import { KeyObject, sign } from 'node:crypto';
import { base64url, type CryptoKey, exportSPKI, importJWK, type JWK, SignJWT } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { createJwtVerifier, type JwtVerifierOptions } from '../../agent/auth/jwt-verifier.js';
import type { KeySet } from '../../agent/auth/key-set.js';
import type { TokenVerifier } from '../../agent/auth/token-verifier.js';
import type { Metrics } from '../../agent/metrics/metrics.js';
import { type ClusterKeys, createClusterKeys, type TokenClaims } from '../../test-support/cluster-keys.js';
import {
  AUDIENCE,
  BASE_CLAIMS,
  CountingKeySet,
  counterValue,
  createCountingVerifier,
  EPOCH,
  ISSUER,
  ManualClock,
  newMetrics,
  outcomeOf,
  ScriptedFetcher,
} from './fixtures.js';

const rsaKeys = await createClusterKeys({ alg: 'RS256', kid: 'rsa-1' });
const ecKeys = await createClusterKeys({ alg: 'ES256', kid: 'ec-1' });
const strangerKeys = await createClusterKeys({ alg: 'RS256', kid: 'rsa-1' });
const NOW_S = EPOCH / 1000;

let clock: ManualClock;
let metrics: Metrics;
let fetcher: ScriptedFetcher;
let keySet: KeySet;
let counting: CountingKeySet;

async function setUp(options: Partial<JwtVerifierOptions> = {}): Promise<TokenVerifier> {
  const built = await createCountingVerifier(fetcher.fetch, clock, metrics, options);
  keySet = built.keySet;
  counting = built.counting;
  return built.verifier;
}

const codeOf = (verifier: TokenVerifier, token: string | undefined): Promise<string> =>
  outcomeOf(verifier.verify(token as string));

const mint = (claims: Partial<TokenClaims> = {}, keys: ClusterKeys = rsaKeys) =>
  keys.mintToken({ ...BASE_CLAIMS, ...claims });

function unsigned(header: object, payload: object): string {
  const part = (value: object) => base64url.encode(JSON.stringify(value));
  return `${part(header)}.${part(payload)}.`;
}

async function hs256WithPublicKey(): Promise<string> {
  const publicKey = await importJWK(rsaKeys.jwks.keys[0] as JWK, 'RS256', { extractable: true });
  const pem = await exportSPKI(publicKey as CryptoKey);
  const claims = JSON.parse(
    new TextDecoder().decode(base64url.decode((await mint()).split('.')[1] as string)),
  ) as object;
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
    .sign(new TextEncoder().encode(pem));
}

/** RS384 with the cluster's RSA key: a real signature, but not an allowed algorithm. */
async function rs384(): Promise<string> {
  const claims = JSON.parse(
    new TextDecoder().decode(base64url.decode((await mint()).split('.')[1] as string)),
  );
  const input = `${base64url.encode(JSON.stringify({ alg: 'RS384', kid: 'rsa-1' }))}.${base64url.encode(JSON.stringify(claims))}`;
  const signature = sign('sha384', Buffer.from(input), KeyObject.from(rsaKeys.privateKey));
  return `${input}.${base64url.encode(signature)}`;
}

beforeEach(() => {
  clock = new ManualClock();
  metrics = newMetrics();
  fetcher = new ScriptedFetcher({ keys: [...rsaKeys.jwks.keys, ...ecKeys.jwks.keys] });
});

describe('createJwtVerifier', () => {
  it.each([
    ['RS256', rsaKeys],
    ['ES256', ecKeys],
  ] as const)('accepts a valid %s token and returns the pod identity', async (_, keys) => {
    const verifier = await setUp();
    const token = await mint({ nodeName: 'node-a' }, keys);
    const verified = await verifier.verify(token);
    expect(verified.token).toBe(token);
    expect(verified.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(verified.identity).toMatchObject({
      issuer: ISSUER,
      namespace: 'default',
      serviceAccount: 's3-access-sa',
      podName: 's3-access-pod',
      nodeName: 'node-a',
      tokenExpiresAt: EPOCH + 86_400_000,
    });
    expect(await counterValue(metrics.tokenValidations, 'valid')).toBe(1);
  });

  it.each<[string, () => Promise<string | undefined>, string, string]>([
    ['no header', async () => undefined, 'MissingToken', 'missing'],
    ['a Bearer prefix', async () => `Bearer ${await mint()}`, 'MalformedToken', 'malformed'],
    ['a trailing CR/LF', async () => `${await mint()}\r\n`, 'MalformedToken', 'malformed'],
    ['over 16 KiB', () => mint({ extraClaims: { pad: 'x'.repeat(17_000) } }), 'MalformedToken', 'malformed'],
    ['segments that are not JSON', async () => 'bm90.anNvbg.c2ln', 'MalformedToken', 'malformed'],
    ['alg none', async () => unsigned({ alg: 'none' }, { iss: ISSUER }), 'InvalidToken', 'invalid'],
    ['HS256 keyed with the public key', hs256WithPublicKey, 'InvalidToken', 'invalid'],
    ['RS384 (not allowed) signed by the RSA key', rs384, 'InvalidToken', 'invalid'],
    [
      'a header alg that does not match the key',
      async () =>
        (await mint({}, ecKeys)).replace(/^[^.]+/, base64url.encode('{"alg":"ES256","kid":"rsa-1"}')),
      'InvalidToken',
      'invalid',
    ],
    [
      'a signature by a foreign key with a known kid',
      () => mint({}, strangerKeys),
      'InvalidToken',
      'invalid',
    ],
    ['another issuer', () => mint({ issuer: 'https://evil.example' }), 'InvalidToken', 'invalid'],
    ['an issuer with a trailing slash', () => mint({ issuer: `${ISSUER}/` }), 'InvalidToken', 'invalid'],
    ['another audience', () => mint({ audience: 'sts.amazonaws.com' }), 'InvalidToken', 'invalid'],
    [
      'our audience and another one',
      () => mint({ audience: [AUDIENCE, 'https://kubernetes.default.svc'] }),
      'InvalidToken',
      'invalid',
    ],
    ['our audience twice', () => mint({ audience: [AUDIENCE, AUDIENCE] }), 'InvalidToken', 'invalid'],
    [
      'the API server audience',
      () => mint({ audience: 'https://kubernetes.default.svc' }),
      'InvalidToken',
      'invalid',
    ],
    ['expiry beyond the leeway', () => mint({ exp: NOW_S - 61 }), 'ExpiredToken', 'expired'],
    ['not-before beyond the leeway', () => mint({ nbf: NOW_S + 61 }), 'ExpiredToken', 'expired'],
    ['no iat', () => mint({ extraClaims: { iat: undefined } }), 'InvalidToken', 'invalid'],
    ['no exp', () => mint({ extraClaims: { exp: undefined } }), 'InvalidToken', 'invalid'],
    [
      'a sub inconsistent with kubernetes.io',
      () => mint({ extraClaims: { sub: 'system:serviceaccount:kube-system:admin' } }),
      'InvalidToken',
      'invalid',
    ],
    [
      'no pod uid',
      () =>
        mint({
          extraClaims: {
            'kubernetes.io': {
              namespace: 'default',
              pod: { name: 'p' },
              serviceaccount: { name: 's3-access-sa', uid: 'u' },
            },
          },
        }),
      'InvalidToken',
      'invalid',
    ],
  ])('refuses a token with %s', async (_, make, code, result) => {
    const verifier = await setUp();
    expect(await codeOf(verifier, await make())).toBe(code);
    expect(await counterValue(metrics.tokenValidations, result)).toBe(1);
    expect(await counterValue(metrics.tokenValidations, 'valid')).toBe(0);
  });

  it.each([
    ['expired within the leeway', { exp: NOW_S - 59 }],
    ['not yet valid within the leeway', { nbf: NOW_S + 59, iat: NOW_S + 59, exp: NOW_S + 3600 }],
    ['whose aud is our audience as a plain string', { extraClaims: { aud: AUDIENCE } }],
  ])('accepts a token %s', async (_, claims) => {
    const verifier = await setUp();
    expect(await codeOf(verifier, await mint(claims))).toBe('accepted');
  });

  it('verifies a repeated token once and answers the repeat from the memo', async () => {
    const verifier = await setUp();
    const token = await mint();
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(second).toEqual(first);
    expect(counting.getKeyCalls).toBe(1);
    expect(await counterValue(metrics.tokenValidations, 'memo_hit')).toBe(1);
  });

  it('verifies in full a token that ends like a memoized one: another payload under its signature is refused', async () => {
    const verifier = await setUp();
    const token = await mint({ serviceAccount: 'reader' });
    await verifier.verify(token);
    const [header, , signature] = token.split('.');
    const other = (await mint({ serviceAccount: 'admin' })).split('.')[1];
    const forged = `${header}.${other}.${signature}`;
    expect(verifier.memoized?.(forged)).toBeUndefined();
    expect(await codeOf(verifier, forged)).toBe('InvalidToken');
    // The memoized token is still answered from the memo.
    expect(verifier.memoized?.(token)?.identity.serviceAccount).toBe('reader');
  });

  it('refuses a memoized token once its expiry plus leeway has passed', async () => {
    const verifier = await setUp();
    const token = await mint({ lifetimeSeconds: 600 });
    await verifier.verify(token);
    clock.advance(600_000 + 59_000);
    expect(await codeOf(verifier, token)).toBe('accepted');
    clock.advance(1000);
    expect(await codeOf(verifier, token)).toBe('ExpiredToken');
    expect(counting.getKeyCalls).toBe(1);
  });

  it('checks the signature again after the key set changed', async () => {
    const verifier = await setUp();
    const token = await mint();
    await verifier.verify(token);
    fetcher.answer({ keys: [...rsaKeys.jwks.keys] });
    await keySet.refresh();
    await verifier.verify(token);
    expect(counting.getKeyCalls).toBe(2);
  });

  it('answers a rejected token from the negative cache for 60 s', async () => {
    const verifier = await setUp();
    const token = await mint({ audience: 'sts.amazonaws.com' });
    expect(await codeOf(verifier, token)).toBe('InvalidToken');
    clock.advance(59_000);
    expect(await codeOf(verifier, token)).toBe('InvalidToken');
    expect(counting.getKeyCalls).toBe(1);
    expect(await counterValue(metrics.tokenValidations, 'negative_hit')).toBe(1);
    clock.advance(1000);
    expect(await codeOf(verifier, token)).toBe('InvalidToken');
    expect(counting.getKeyCalls).toBe(2);
  });

  it('accepts a token refused as not yet valid once its not-before has come', async () => {
    const verifier = await setUp();
    const token = await mint({ iat: NOW_S, nbf: NOW_S + 90, exp: NOW_S + 3600 });
    expect(await codeOf(verifier, token)).toBe('ExpiredToken');
    clock.advance(31_000);
    expect(await codeOf(verifier, token)).toBe('accepted');
  });

  it('keeps the code of the first rejection in the negative cache', async () => {
    const verifier = await setUp();
    const token = await mint({ exp: NOW_S - 3600, iat: NOW_S - 7200 });
    expect(await codeOf(verifier, token)).toBe('ExpiredToken');
    expect(await codeOf(verifier, token)).toBe('ExpiredToken');
    expect(counting.getKeyCalls).toBe(1);
  });

  it('does not negatively cache a token whose key is unknown, so a rotated-in key is found later', async () => {
    const verifier = await setUp();
    const next = await createClusterKeys({ kid: 'rsa-2' });
    const token = await mint({}, next);
    expect(await codeOf(verifier, token)).toBe('InvalidToken');
    fetcher.answer({ keys: [...rsaKeys.jwks.keys, ...next.jwks.keys] });
    clock.advance(30_000);
    expect(await codeOf(verifier, token)).toBe('accepted');
  });

  describe('node binding', () => {
    it('refuses a token bound to another node', async () => {
      const verifier = await setUp({ nodeName: 'node-a' });
      expect(await codeOf(verifier, await mint({ nodeName: 'node-b' }))).toBe('TokenNotBound');
      expect(await counterValue(metrics.tokenValidations, 'not_bound')).toBe(1);
    });

    it('accepts a token bound to this node', async () => {
      const verifier = await setUp({ nodeName: 'node-a' });
      expect(await codeOf(verifier, await mint({ nodeName: 'node-a' }))).toBe('accepted');
      expect(await counterValue(metrics.tokenValidations, 'no_node_claim')).toBe(0);
    });

    it('accepts a token without a node claim and counts it', async () => {
      const verifier = await setUp({ nodeName: 'node-a' });
      expect(await codeOf(verifier, await mint())).toBe('accepted');
      expect(await counterValue(metrics.tokenValidations, 'no_node_claim')).toBe(1);
    });

    it('ignores the node claim when no node name is configured', async () => {
      const verifier = await setUp();
      expect(await codeOf(verifier, await mint({ nodeName: 'node-b' }))).toBe('accepted');
    });
  });

  describe('readiness and issuer', () => {
    it('is not ready until the key set has loaded', async () => {
      fetcher.answer(new Error('down'));
      const verifier = await setUp();
      expect(verifier.isReady()).toBe(false);
      fetcher.answer({ keys: rsaKeys.jwks.keys });
      await keySet.refresh();
      expect(verifier.isReady()).toBe(true);
    });

    it('answers UpstreamUnavailable, not InvalidToken, while no keys are loaded', async () => {
      fetcher.answer(new Error('down'));
      const verifier = await setUp();
      expect(await codeOf(verifier, await mint())).toBe('UpstreamUnavailable');
      expect(await counterValue(metrics.tokenValidations, 'unavailable')).toBe(1);
    });

    it('uses the issuer the key set discovered when none is configured', async () => {
      const verifier = await setUp({ issuer: undefined });
      expect(verifier.isReady()).toBe(false);
      expect(await codeOf(verifier, await mint())).toBe('UpstreamUnavailable');
      const discovered = new CountingKeySet({ ...keySet, issuer: () => ISSUER });
      const withIssuer = createJwtVerifier({
        keySet: discovered,
        issuer: undefined,
        audience: AUDIENCE,
        clock,
        metrics,
      });
      expect(withIssuer.isReady()).toBe(true);
      expect(await codeOf(withIssuer, await mint())).toBe('accepted');
    });

    it('refuses every token, and is not ready, once the discovered issuer turns out to equal the audience', async () => {
      await setUp({ issuer: undefined });
      let discoveredIssuer: string | undefined;
      const discovered = new CountingKeySet({ ...keySet, issuer: () => discoveredIssuer });
      const verifier = createJwtVerifier({
        keySet: discovered,
        issuer: undefined,
        audience: ISSUER,
        clock,
        metrics,
      });
      discoveredIssuer = ISSUER;
      expect(verifier.isReady()).toBe(false);
      expect(await codeOf(verifier, await mint({ audience: ISSUER }))).toBe('InvalidToken');
    });
  });

  it.each<[string, Partial<JwtVerifierOptions>, string]>([
    ['an empty audience', { audience: '' }, '"audience"'],
    ['the API server audience', { audience: 'https://kubernetes.default.svc' }, '"audience"'],
    ['the issuer as audience (the API server default)', { audience: ISSUER }, '"audience"'],
    ['a negative leeway', { leewaySeconds: -1 }, '"leewaySeconds"'],
    ['a zero memo size', { memoSize: 0 }, '"memoSize"'],
    ['an empty issuer', { issuer: '' }, '"issuer"'],
  ])('refuses to start with %s, naming the option', async (_, options, option) => {
    await setUp();
    expect(() =>
      createJwtVerifier({ keySet: counting, issuer: ISSUER, audience: AUDIENCE, clock, metrics, ...options }),
    ).toThrow(option);
  });
});
