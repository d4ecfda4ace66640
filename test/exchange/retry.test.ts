import { describe, expect, it } from 'vitest';
import { AgentError } from '../../agent/errors.js';
import {
  attemptTimeoutMs,
  backoffDelay,
  resolveRetryOptions,
  withRetry,
} from '../../agent/exchange/retry.js';

/** Records the requested sleeps and returns at once. */
function fakeSleep(): { sleep: (ms: number) => Promise<void>; slept: number[] } {
  const slept: number[] = [];
  return { slept, sleep: async (ms) => void slept.push(ms) };
}

const retryable = () => new AgentError('UpstreamUnavailable', { retryable: true });
const terminal = () => new AgentError('AccessDenied', { retryable: false });

/** A function failing with `errors` in turn, then answering `ok`. */
function failing(errors: Error[]): { fn: (signal: AbortSignal) => Promise<string>; calls: AbortSignal[] } {
  const calls: AbortSignal[] = [];
  return {
    calls,
    fn: async (signal) => {
      calls.push(signal);
      const next = errors.shift();
      if (next) throw next;
      return 'ok';
    },
  };
}

describe('withRetry', () => {
  it('returns the first success without sleeping', async () => {
    const { sleep, slept } = fakeSleep();
    const { fn, calls } = failing([]);
    await expect(withRetry(fn, { sleep })).resolves.toBe('ok');
    expect(calls).toHaveLength(1);
    expect(slept).toEqual([]);
  });

  it('retries retryable AgentErrors with full-jitter exponential backoff', async () => {
    const { sleep, slept } = fakeSleep();
    const { fn, calls } = failing([retryable(), retryable()]);
    const result = await withRetry(fn, { attempts: 3, baseDelayMs: 100, sleep, random: () => 0.5 });
    expect(result).toBe('ok');
    expect(calls).toHaveLength(3);
    expect(slept).toEqual([50, 100]);
  });

  it('gives up after the configured attempts and rethrows the last error', async () => {
    const { sleep, slept } = fakeSleep();
    const last = new AgentError('Throttled', { retryable: true });
    const { fn, calls } = failing([retryable(), retryable(), last]);
    await expect(withRetry(fn, { attempts: 3, sleep, random: () => 0 })).rejects.toBe(last);
    expect(calls).toHaveLength(3);
    expect(slept).toHaveLength(2);
  });

  it.each([
    ['a non-retryable AgentError', terminal()],
    ['a plain Error', new Error('bug')],
    ['an Error claiming to be retryable', Object.assign(new Error('x'), { retryable: true })],
  ])('does not retry %s', async (_name, error) => {
    const { sleep } = fakeSleep();
    const { fn, calls } = failing([error]);
    await expect(withRetry(fn, { sleep })).rejects.toBe(error);
    expect(calls).toHaveLength(1);
  });

  it('caps each backoff at maxDelayMs', () => {
    const options = resolveRetryOptions({ baseDelayMs: 100, maxDelayMs: 250, random: () => 0.999 });
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, options))).toEqual([99, 199, 249, 249]);
  });

  it("lets each retry's deadline grow threefold from perAttemptTimeoutMs up to maxAttemptTimeoutMs", () => {
    const defaults = resolveRetryOptions();
    expect([1, 2, 3, 4].map((n) => attemptTimeoutMs(n, defaults))).toEqual([1500, 4500, 5000, 5000]);
    const small = resolveRetryOptions({ perAttemptTimeoutMs: 20, maxAttemptTimeoutMs: 100 });
    expect([1, 2, 3].map((n) => attemptTimeoutMs(n, small))).toEqual([20, 60, 100]);
    // A cap below the first deadline leaves every attempt the first one's.
    const capped = resolveRetryOptions({ perAttemptTimeoutMs: 50, maxAttemptTimeoutMs: 10 });
    expect([1, 2].map((n) => attemptTimeoutMs(n, capped))).toEqual([50, 50]);
  });

  it('gives every attempt its own signal that times out after its deadline', async () => {
    const { sleep } = fakeSleep();
    const seen: string[] = [];
    const fn = (signal: AbortSignal) =>
      new Promise<string>((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          seen.push((signal.reason as Error).name);
          reject(retryable());
        });
      });
    await expect(
      withRetry(fn, { attempts: 2, perAttemptTimeoutMs: 20, maxAttemptTimeoutMs: 20, sleep }),
    ).rejects.toMatchObject({
      code: 'UpstreamUnavailable',
    });
    expect(seen).toEqual(['TimeoutError', 'TimeoutError']);
  });

  it('clears the deadline of an attempt that succeeded: its signal never aborts later', async () => {
    const { fn, calls } = failing([]);
    await expect(withRetry(fn, { perAttemptTimeoutMs: 10 })).resolves.toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(calls[0]?.aborted).toBe(false);
  });

  it('stops retrying once the outer signal aborts', async () => {
    const { sleep } = fakeSleep();
    const controller = new AbortController();
    const error = retryable();
    let calls = 0;
    const fn = async () => {
      calls++;
      controller.abort();
      throw error;
    };
    await expect(withRetry(fn, { signal: controller.signal, sleep })).rejects.toBe(error);
    expect(calls).toBe(1);
  });

  it('passes the outer abort into the running attempt', async () => {
    const controller = new AbortController();
    const fn = (signal: AbortSignal) =>
      new Promise<string>((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason));
      });
    const pending = withRetry(fn, { signal: controller.signal, perAttemptTimeoutMs: 10_000 });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('ends with the upstream error when the outer signal aborts during a backoff', async () => {
    const controller = new AbortController();
    const error = retryable();
    const sleep = (_ms: number, signal?: AbortSignal) =>
      new Promise<void>((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
    const pending = withRetry(
      async () => {
        throw error;
      },
      { signal: controller.signal, sleep },
    );
    setTimeout(() => controller.abort(), 5);
    await expect(pending).rejects.toBe(error);
  });

  it.each([
    [{ attempts: 0 }, 'attempts'],
    [{ attempts: 1.5 }, 'attempts'],
    [{ baseDelayMs: -1 }, 'baseDelayMs'],
    [{ maxDelayMs: Number.NaN }, 'maxDelayMs'],
    [{ perAttemptTimeoutMs: 0 }, 'perAttemptTimeoutMs'],
    [{ maxAttemptTimeoutMs: 0 }, 'maxAttemptTimeoutMs'],
  ])('refuses %j, naming %s', (options, name) => {
    expect(() => resolveRetryOptions(options)).toThrow(name);
  });
});
