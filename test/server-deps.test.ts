import { afterEach, describe, expect, it } from 'vitest';
import type { Deps } from '../agent/app.js';
import { createServerDeps } from '../agent/server-deps.js';
import { EPOCH } from './fakes/fake-verifier.js';
import { captureLogger } from './fakes/log-capture.js';
import { serverConfig } from './fakes/server-config.js';

describe('createServerDeps', () => {
  let deps: Deps | undefined;
  afterEach(async () => {
    deps?.cache.close();
    await deps?.onClose?.();
  });

  async function build(extra: string[]): Promise<Deps> {
    // The key file does not exist: loading fails in the background, which these tests do not need.
    deps = await createServerDeps(serverConfig(extra), {
      logger: captureLogger().logger,
      clock: { now: () => EPOCH },
      credentials: async () => ({ accessKeyId: 'AKIATEST', secretAccessKey: 'test-secret' }),
    });
    return deps;
  }

  const request = (remoteAddress: string) =>
    ({ socket: { remoteAddress } }) as unknown as Parameters<NonNullable<Deps['admit']>>[0];

  it('admits a burst of twice --rate-limit per source address, then throws Throttled', async () => {
    const { admit } = await build(['--rate-limit', '3']);
    expect(admit).toBeDefined();
    for (let i = 0; i < 6; i++) admit?.(request('10.0.0.1'));
    expect(() => admit?.(request('10.0.0.1'))).toThrow(expect.objectContaining({ code: 'Throttled' }));
    expect(() => admit?.(request('10.0.0.2'))).not.toThrow();
  });

  it('limits by default (50 requests per second, burst 100)', async () => {
    const { admit } = await build([]);
    for (let i = 0; i < 100; i++) admit?.(request('10.0.0.1'));
    expect(() => admit?.(request('10.0.0.1'))).toThrow(expect.objectContaining({ code: 'Throttled' }));
  });

  it('has no admission check with --rate-limit 0', async () => {
    expect((await build(['--rate-limit', '0'])).admit).toBeUndefined();
  });
});
