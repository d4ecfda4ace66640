import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log/logger.js';
import { createTlsReloader, type TlsMaterial } from '../../agent/webhook/tls-reloader.js';
import { createWebhookMetrics } from '../../agent/webhook/webhook-metrics.js';

const material = (hash: string): TlsMaterial => ({ cert: Buffer.from(hash), key: Buffer.from(hash), hash });

/** A reloader whose reads wait until the test answers them, in order. */
const build = () => {
  const reads: ((material: TlsMaterial) => void)[] = [];
  const applied: string[] = [];
  const reloader = createTlsReloader({
    certFile: 'tls.crt',
    keyFile: 'tls.key',
    initial: material('old'),
    apply: (m) => applied.push(m.hash),
    logger: createLogger('silent'),
    metrics: createWebhookMetrics(new Registry()),
    pollIntervalMs: 60_000,
    read: () => new Promise((resolve) => reads.push(resolve)),
  });
  return { reloader, reads, applied };
};

/** Lets the promise jobs queued so far run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('createTlsReloader', () => {
  it('reads the files again for a check asked while one is under way, once for all such asks', async () => {
    const { reloader, reads, applied } = build();
    const first = reloader.check();
    // The files change while the first check is reading them; two callers ask for a check.
    const second = reloader.check();
    const third = reloader.check();
    expect(reads).toHaveLength(1);
    reads[0]?.(material('old'));
    expect(await first).toBe(false);
    await settle();
    expect(reads).toHaveLength(2);
    reads[1]?.(material('new'));
    expect(await second).toBe(true);
    expect(await third).toBe(true);
    expect(applied).toEqual(['new']);
    reloader.close();
  });

  it('runs one check for an ask made while none is under way', async () => {
    const { reloader, reads, applied } = build();
    const check = reloader.check();
    await settle();
    expect(reads).toHaveLength(1);
    reads[0]?.(material('new'));
    expect(await check).toBe(true);
    await settle();
    expect(reads).toHaveLength(1);
    expect(applied).toEqual(['new']);
    reloader.close();
  });
});
