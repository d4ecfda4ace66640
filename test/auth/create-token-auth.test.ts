import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTokenAuth } from '../../agent/auth/create-token-auth.js';
import { createClusterKeys } from '../../test-support/cluster-keys.js';
import { AUDIENCE, counterValue, EPOCH, ISSUER, ManualClock, newMetrics } from './fixtures.js';

describe('createTokenAuth', () => {
  it('verifies tokens against a JWKS file once the key set has loaded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'token-auth-'));
    const keys = await createClusterKeys();
    const metrics = newMetrics();
    const { verifier, keySet } = createTokenAuth({
      config: {
        keySource: { kind: 'file', path: await keys.writeJwksFile(dir) },
        issuer: ISSUER,
        audience: AUDIENCE,
        nodeName: 'node-a',
      },
      clock: new ManualClock(),
      metrics,
    });
    try {
      expect(verifier.isReady()).toBe(false);
      expect(await keySet.load()).toBe(true);
      expect(verifier.isReady()).toBe(true);
      const token = await keys.mintToken({
        issuer: ISSUER,
        audience: AUDIENCE,
        namespace: 'default',
        serviceAccount: 'app',
        podName: 'app-0',
        nodeName: 'node-b',
        now: EPOCH,
      });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'TokenNotBound' });
      expect(await counterValue(metrics.jwksRefreshes, 'success')).toBe(1);
    } finally {
      keySet.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses the Kubernetes key source outside a cluster', () => {
    expect(() =>
      createTokenAuth({
        config: {
          keySource: { kind: 'kubernetes' },
          issuer: undefined,
          audience: AUDIENCE,
          nodeName: undefined,
        },
        clock: new ManualClock(),
        metrics: newMetrics(),
      }),
    ).toThrow(/KUBERNETES_SERVICE_HOST/);
  });
});
