import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createClusterKeys, stableUid } from '../../test-support/cluster-keys.js';

const NOW = 1_790_000_000_000;
const CLAIMS = {
  issuer: 'https://issuer.example',
  audience: 'pods.eks.amazonaws.com',
  namespace: 'default',
  serviceAccount: 's3-access-sa',
  podName: 's3-access-pod',
  now: NOW,
};

describe('createClusterKeys', () => {
  it.each(['RS256', 'ES256'] as const)(
    'mints a Kubernetes-shaped %s token its JWKS verifies',
    async (alg) => {
      const keys = await createClusterKeys({ alg, kid: 'k1' });
      const token = await keys.mintToken({ ...CLAIMS, nodeName: 'node-a' });
      expect(decodeProtectedHeader(token)).toMatchObject({ alg, kid: 'k1' });
      const { payload } = await jwtVerify(token, createLocalJWKSet(keys.jwks), {
        currentDate: new Date(NOW),
      });
      expect(payload).toMatchObject({
        iss: 'https://issuer.example',
        aud: ['pods.eks.amazonaws.com'],
        sub: 'system:serviceaccount:default:s3-access-sa',
        iat: NOW / 1000,
        nbf: NOW / 1000,
        exp: NOW / 1000 + 86_400,
        'kubernetes.io': {
          namespace: 'default',
          pod: { name: 's3-access-pod', uid: stableUid('pod', 'default', 's3-access-pod') },
          serviceaccount: { name: 's3-access-sa' },
          node: { name: 'node-a' },
        },
      });
      expect(payload.jti).toEqual(expect.any(String));
    },
  );

  it('publishes public keys only', async () => {
    const keys = await createClusterKeys();
    for (const key of keys.jwks.keys) expect(key).not.toHaveProperty('d');
    expect(keys.jwks.keys[0]).toMatchObject({ kid: keys.kid, alg: 'RS256', use: 'sig' });
  });

  it('gives the same pod the same uid across token rotations', async () => {
    const keys = await createClusterKeys({ alg: 'ES256' });
    const a = await keys.mintToken(CLAIMS);
    const b = await keys.mintToken({ ...CLAIMS, now: NOW + 3_600_000 });
    expect(a).not.toBe(b);
    const uid = (t: string) =>
      JSON.parse(Buffer.from(t.split('.')[1] as string, 'base64url').toString())['kubernetes.io'].pod.uid;
    expect(uid(a)).toBe(uid(b));
    expect(uid(a)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('writes the JWKS to a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cluster-keys-'));
    try {
      const keys = await createClusterKeys();
      const path = await keys.writeJwksFile(dir);
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(keys.jwks);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
