import type { JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { toSigningKeySet } from '../../agent/checks/jwks.js';
import { createClusterKeys } from '../../test-support/cluster-keys.js';

const rsa = (await createClusterKeys({ alg: 'RS256', kid: 'rsa' })).jwks.keys[0] as JWK;
const ec = (await createClusterKeys({ alg: 'ES256', kid: 'ec' })).jwks.keys[0] as JWK;

describe('toSigningKeySet', () => {
  it('keeps RSA and EC public signing keys', () => {
    expect(toSigningKeySet({ keys: [rsa, ec] }).keys).toEqual([rsa, ec]);
  });

  it('keeps keys without alg or use when their type and curve fit an allowed algorithm', () => {
    const { alg: _a, use: _u, ...bare } = ec;
    expect(toSigningKeySet({ keys: [bare] }).keys).toHaveLength(1);
  });

  it.each<[string, JWK]>([
    ['a symmetric key', { kty: 'oct', k: 'c2VjcmV0', alg: 'HS256' }],
    ['an RSA key declared for RS384', { ...rsa, alg: 'RS384' }],
    ['an RSA key declared for ES256', { ...rsa, alg: 'ES256' }],
    ['an EC key whose alg does not fit its curve', { ...ec, alg: 'ES384' }],
    ['an encryption key', { ...rsa, use: 'enc' }],
    ['a private key', { ...rsa, d: 'AQAB' }],
    ['an OKP key', { kty: 'OKP', crv: 'Ed25519', x: 'AAAA', alg: 'EdDSA' }],
  ])('drops %s', (_, key) => {
    expect(toSigningKeySet({ keys: [rsa, key] }).keys).toEqual([rsa]);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'keys'],
    ['an object without keys', { jwks: [] }],
    ['keys that is not an array', { keys: {} }],
    ['an empty key list', { keys: [] }],
    ['only unusable keys', { keys: [{ kty: 'oct', k: 'c2VjcmV0' }, null] }],
  ])('throws on junk: %s', (_, document) => {
    expect(() => toSigningKeySet(document)).toThrow();
  });
});
