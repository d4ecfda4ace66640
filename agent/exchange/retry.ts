import { setTimeout as delay } from 'node:timers/promises';
import { checkInteger, checkMilliseconds } from '../checks/option-checks.js';
import { withDeadline } from '../deadline.js';
import { isAgentError } from '../errors.js';

/** Default total attempts, first included: 3, as the EKS Pod Identity Agent makes. */
export const DEFAULT_ATTEMPTS = 3;
/** Default backoff base, milliseconds: attempt n waits up to base * 2^(n-1). */
export const DEFAULT_BASE_DELAY_MS = 100;
/** Default cap of one backoff, milliseconds. */
export const DEFAULT_MAX_DELAY_MS = 1000;
/**
 * Default deadline of the first attempt, milliseconds: short, so that a kept-alive socket that died
 * silently is given up soon and the retry opens a new one.
 */
export const DEFAULT_PER_ATTEMPT_TIMEOUT_MS = 1500;
/** Each retry's deadline is the previous one's times this, up to {@link DEFAULT_MAX_ATTEMPT_TIMEOUT_MS}. */
export const ATTEMPT_TIMEOUT_GROWTH = 3;
/**
 * Default cap of one attempt's deadline, milliseconds: an upstream answering in 3 s is served by the
 * second attempt (4.5 s), where a fixed 1.5 s would fail every attempt of every miss.
 */
export const DEFAULT_MAX_ATTEMPT_TIMEOUT_MS = 5000;

/** How {@link withRetry} retries. Every field is optional. */
export interface RetryOptions {
  /** Total attempts, first included. Default {@link DEFAULT_ATTEMPTS}. */
  readonly attempts?: number;
  /** Backoff base in milliseconds. Default {@link DEFAULT_BASE_DELAY_MS}. */
  readonly baseDelayMs?: number;
  /** Cap of one backoff in milliseconds. Default {@link DEFAULT_MAX_DELAY_MS}. */
  readonly maxDelayMs?: number;
  /** Deadline of the first attempt in milliseconds. Default {@link DEFAULT_PER_ATTEMPT_TIMEOUT_MS}. */
  readonly perAttemptTimeoutMs?: number;
  /** Cap of a retry's growing deadline in milliseconds. Default {@link DEFAULT_MAX_ATTEMPT_TIMEOUT_MS}. */
  readonly maxAttemptTimeoutMs?: number;
  /** Uniform random in [0, 1) for the jitter. Default `Math.random`. */
  readonly random?: () => number;
  /** Waits `ms` milliseconds; rejects when `signal` aborts. Default: a timer. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Outer signal: aborting it stops the current attempt and any further one. */
  readonly signal?: AbortSignal | undefined;
}

/** {@link RetryOptions} with defaults applied and checked. */
export type ResolvedRetryOptions = Required<Omit<RetryOptions, 'signal'>>;

const sleepTimer = (ms: number, signal?: AbortSignal): Promise<void> =>
  delay(ms, undefined, signal ? { signal } : {});

/** Applies defaults and checks values; throws a `TypeError` naming the bad option. */
export function resolveRetryOptions(options: RetryOptions = {}): ResolvedRetryOptions {
  const resolved: ResolvedRetryOptions = {
    attempts: options.attempts ?? DEFAULT_ATTEMPTS,
    baseDelayMs: options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS,
    perAttemptTimeoutMs: options.perAttemptTimeoutMs ?? DEFAULT_PER_ATTEMPT_TIMEOUT_MS,
    maxAttemptTimeoutMs: options.maxAttemptTimeoutMs ?? DEFAULT_MAX_ATTEMPT_TIMEOUT_MS,
    random: options.random ?? Math.random,
    sleep: options.sleep ?? sleepTimer,
  };
  checkInteger('attempts', resolved.attempts);
  checkMilliseconds('baseDelayMs', resolved.baseDelayMs);
  checkMilliseconds('maxDelayMs', resolved.maxDelayMs);
  checkInteger('perAttemptTimeoutMs', resolved.perAttemptTimeoutMs);
  checkInteger('maxAttemptTimeoutMs', resolved.maxAttemptTimeoutMs);
  return resolved;
}

/**
 * Deadline of attempt number `attempt` (1 = the first), in ms: `perAttemptTimeoutMs`, then
 * {@link ATTEMPT_TIMEOUT_GROWTH} times the previous one for each retry, never above
 * `maxAttemptTimeoutMs` (nor below the first).
 */
export function attemptTimeoutMs(attempt: number, options: ResolvedRetryOptions): number {
  const grown = options.perAttemptTimeoutMs * ATTEMPT_TIMEOUT_GROWTH ** (attempt - 1);
  return Math.max(options.perAttemptTimeoutMs, Math.min(grown, options.maxAttemptTimeoutMs));
}

/** Full-jitter exponential backoff before retry number `retry` (1 = the first retry), in ms. */
export function backoffDelay(retry: number, options: ResolvedRetryOptions): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(options.random() * ceiling);
}

/**
 * Runs `fn` until it succeeds, retrying only an `AgentError` with `retryable: true` (retry reads that
 * flag and nothing else, so one classification decides everywhere), at most `attempts` times, with full-jitter backoff. Each attempt
 * gets a signal that aborts at its deadline ({@link attemptTimeoutMs}: growing from one attempt to the
 * next) or when the outer `signal` aborts; its timer is cleared when the attempt settles. The last
 * error is rethrown as is.
 */
export async function withRetry<T>(
  fn: (signal: AbortSignal, attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const resolved = resolveRetryOptions(options);
  const outer = options.signal;
  for (let attempt = 1; ; attempt++) {
    outer?.throwIfAborted();
    try {
      return await withDeadline(attemptTimeoutMs(attempt, resolved), outer, (signal) => fn(signal, attempt));
    } catch (error) {
      const retryable = isAgentError(error) && error.retryable;
      if (!retryable || attempt >= resolved.attempts || outer?.aborted) throw error;
      // An outer abort during the backoff ends the loop with the upstream error, not the abort.
      const slept = await resolved.sleep(backoffDelay(attempt, resolved), outer).then(
        () => true,
        () => false,
      );
      if (!slept) throw error;
    }
  }
}
