import type { KubernetesObject, ListWatch } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { keepWatching } from '../../agent/kube/keep-watching.js';
import { FakeTime } from '../fakes/fake-time.js';

/**
 * The part of client-node's ListWatch that keepWatching uses: each start() lists (and opens the
 * watch) or fails with an `error` event, as scripted.
 */
class ScriptedListWatch {
  starts = 0;
  private version = '';
  private readonly onError: ((error: unknown) => void)[] = [];
  constructor(private readonly script: ('ok' | 'fail')[]) {}

  on(event: string, handler: (error: unknown) => void): void {
    if (event === 'error') this.onError.push(handler);
  }

  async start(): Promise<void> {
    this.starts += 1;
    if ((this.script.shift() ?? 'ok') === 'ok') {
      this.version = String(this.starts);
      return;
    }
    for (const handler of this.onError)
      handler(Object.assign(new Error('watch failed'), { statusCode: 500 }));
  }

  latestResourceVersion(): string {
    return this.version;
  }

  async stop(): Promise<void> {}
}

function watch(script: ('ok' | 'fail')[]) {
  const time = new FakeTime();
  const informer = new ScriptedListWatch(script);
  const warnings: unknown[] = [];
  let synced = 0;
  const watching = keepWatching(informer as unknown as ListWatch<KubernetesObject>, {
    what: 'pod watch',
    logger: { warn: (fields) => warnings.push(fields) },
    retryDelayMs: 1_000,
    onSynced: () => {
      synced += 1;
    },
    timers: time,
  });
  return { time, informer, watching, warnings, synced: () => synced };
}

describe('keepWatching', () => {
  it('lists again after failures with doubling delays, and reports synced once the first list completes', async () => {
    const w = watch(['fail', 'fail', 'fail', 'ok']);
    w.watching.start();
    await w.time.advance(0);
    expect([w.informer.starts, w.watching.isSynced()]).toEqual([1, false]);
    await w.time.advance(999);
    expect(w.informer.starts).toBe(1);
    await w.time.advance(1);
    expect(w.informer.starts).toBe(2);
    await w.time.advance(2_000);
    expect(w.informer.starts).toBe(3);
    await w.time.advance(4_000);
    expect([w.informer.starts, w.watching.isSynced(), w.synced()]).toEqual([4, true, 1]);
    expect(w.warnings).toEqual([
      expect.objectContaining({ err: 'HTTP 500', retryInMs: 1_000 }),
      expect.objectContaining({ retryInMs: 2_000 }),
      expect.objectContaining({ retryInMs: 4_000 }),
    ]);
    await w.watching.stop();
  });

  it('caps the delay at 30 s', async () => {
    const w = watch(Array(8).fill('fail'));
    w.watching.start();
    await w.time.advance(1_000 + 2_000 + 4_000 + 8_000 + 16_000 + 30_000 + 30_000);
    expect(w.informer.starts).toBe(8);
    expect(w.warnings.at(-1)).toEqual(expect.objectContaining({ retryInMs: 30_000 }));
    await w.watching.stop();
  });

  it('starts nothing more once stopped', async () => {
    const w = watch(['fail', 'ok']);
    w.watching.start();
    await w.time.advance(0);
    await w.watching.stop();
    expect(w.time.timerCount).toBe(0);
    await w.time.advance(60_000);
    expect(w.informer.starts).toBe(1);
  });
});
