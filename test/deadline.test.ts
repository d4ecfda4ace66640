import { getEventListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { withDeadline } from '../agent/deadline.js';

/** Resolves with the signal's abort reason once it aborts. */
const aborted = (signal: AbortSignal) =>
  new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason)));

describe('withDeadline', () => {
  it('aborts the signal with a TimeoutError once the deadline passes', async () => {
    const reason = await withDeadline(10, undefined, aborted);
    expect(reason).toBeInstanceOf(DOMException);
    expect((reason as DOMException).name).toBe('TimeoutError');
  });

  it('passes an abort of the outer signal on with its reason', async () => {
    const outer = new AbortController();
    const pending = withDeadline(10_000, outer.signal, aborted);
    const why = new Error('client gone');
    outer.abort(why);
    await expect(pending).resolves.toBe(why);
  });

  it('starts aborted when the outer signal already is', async () => {
    const outer = new AbortController();
    outer.abort(new Error('already'));
    const seen = await withDeadline(10_000, outer.signal, async (signal) => signal.aborted);
    expect(seen).toBe(true);
  });

  it('never aborts a call that settled before its deadline, and forgets the outer signal', async () => {
    const outer = new AbortController();
    let inner: AbortSignal | undefined;
    await withDeadline(10, outer.signal, async (signal) => {
      inner = signal;
      return 'ok';
    });
    await sleep(40);
    expect(inner?.aborted).toBe(false);
    expect(getEventListeners(outer.signal, 'abort')).toHaveLength(0);
  });

  it('clears the deadline of a call that failed, and rethrows its error', async () => {
    let inner: AbortSignal | undefined;
    const error = new Error('refused');
    await expect(
      withDeadline(10, undefined, async (signal) => {
        inner = signal;
        throw error;
      }),
    ).rejects.toBe(error);
    await sleep(40);
    expect(inner?.aborted).toBe(false);
  });
});
