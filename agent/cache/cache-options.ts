import { checkInteger, checkMilliseconds } from '../checks/option-checks.js';
import type { Clock } from '../clock.js';
import { parseDuration } from '../config/duration.js';
import { DEFAULT_MIN_REMAINING } from '../config/flags.js';
import type { CredentialExchanger } from '../exchange/credential-exchanger.js';
import type { MissGuard } from '../limits/miss-guard.js';
import type { Log } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { systemTimers, type Timers } from '../timers.js';

/** Default minimum lifetime left on served credentials: `--min-remaining`'s default, in milliseconds. */
export const DEFAULT_MIN_REMAINING_MS = parseDuration(DEFAULT_MIN_REMAINING) ?? Number.NaN;
/** Default head start of a background refresh over the minimum-remaining zone: 10 minutes. */
export const DEFAULT_REFRESH_LEAD_MS = 10 * 60_000;
/** Default spread of background refreshes: up to 5 minutes earlier, so a node boot's burst does not recur. */
export const DEFAULT_REFRESH_JITTER_MS = 5 * 60_000;
/** Default rate limit of background refreshes, per second (the reference agent does at most 3). */
export const DEFAULT_MAX_REFRESHES_PER_SECOND = 5;
/** Default wait before a failed background refresh may be tried again: 1 minute. */
export const DEFAULT_REFRESH_RETRY_MS = 60_000;

/** The pino-compatible subset the cache logs with. */
export type CacheLogger = Pick<Log, 'debug' | 'warn'>;

/** Options of `createCredentialCache`. */
export interface CredentialCacheOptions {
  /** Trades a token for credentials; called once per miss or background refresh, never with a client signal. */
  readonly exchanger: CredentialExchanger;
  readonly clock: Clock;
  readonly metrics: Metrics;
  /** Most identities held (`--max-cache-size`); the least recently used is evicted. Required, integer >= 1. */
  readonly maxEntries: number;
  /** Credentials with this much lifetime left or less are never served (`--min-remaining`). Milliseconds. Default {@link DEFAULT_MIN_REMAINING_MS}. */
  readonly minRemainingMs?: number | undefined;
  /** A used entry is refreshed in the background this long before expiry. Milliseconds; must exceed `minRemainingMs`. Default `minRemainingMs` + 10 min. */
  readonly refreshAheadMs?: number | undefined;
  /** A background refresh starts up to this much earlier, uniformly at random. Milliseconds. Default 5 min. */
  readonly refreshJitterMs?: number | undefined;
  /** Most background refreshes started per second; the rest wait in a queue. Default 5. */
  readonly maxRefreshesPerSecond?: number | undefined;
  /** After a failed background refresh, the next use may retry once this long has passed. Milliseconds. Default 1 min. */
  readonly refreshRetryMs?: number | undefined;
  /** Timer functions; tests inject fakes. Default: the global ones, unref'd. */
  readonly timers?: Timers | undefined;
  /** Uniform random number in [0, 1), for jitter. Default `Math.random`. */
  readonly random?: (() => number) | undefined;
  /** Logs refresh failures and drops. Default: silent. */
  readonly logger?: CacheLogger | undefined;
  /** Remembers refusals and budgets the upstream calls of misses (not of refreshes). Default: none. */
  readonly missGuard?: MissGuard | undefined;
}

/** {@link CredentialCacheOptions} with every default applied. */
export interface ResolvedCacheOptions {
  readonly exchanger: CredentialExchanger;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly maxEntries: number;
  readonly minRemainingMs: number;
  readonly refreshAheadMs: number;
  readonly refreshJitterMs: number;
  readonly maxRefreshesPerSecond: number;
  readonly refreshRetryMs: number;
  readonly timers: Timers;
  readonly random: () => number;
  readonly missGuard: MissGuard | undefined;
  readonly logger: CacheLogger;
}

const silentLogger: CacheLogger = Object.freeze({ debug: () => {}, warn: () => {} });

/** Applies defaults and checks every option; throws a `TypeError` whose message names the option. */
export function resolveCacheOptions(options: CredentialCacheOptions): ResolvedCacheOptions {
  const { exchanger, clock, metrics, maxEntries } = options;
  if (typeof exchanger?.exchange !== 'function')
    throw new TypeError('"exchanger" must be a CredentialExchanger');
  if (typeof clock?.now !== 'function') throw new TypeError('"clock" must have a now() method');
  if (metrics?.cacheEvents === undefined || metrics.cacheEntries === undefined) {
    throw new TypeError('"metrics" must come from createMetrics()');
  }
  checkInteger('maxEntries', maxEntries);
  const minRemainingMs = checkMilliseconds(
    'minRemainingMs',
    options.minRemainingMs ?? DEFAULT_MIN_REMAINING_MS,
  );
  const refreshAheadMs = options.refreshAheadMs ?? minRemainingMs + DEFAULT_REFRESH_LEAD_MS;
  if (!Number.isFinite(refreshAheadMs) || refreshAheadMs <= minRemainingMs) {
    throw new TypeError('"refreshAheadMs" must be a number of milliseconds greater than "minRemainingMs"');
  }
  const refreshJitterMs = checkMilliseconds(
    'refreshJitterMs',
    options.refreshJitterMs ?? DEFAULT_REFRESH_JITTER_MS,
  );
  const maxRefreshesPerSecond = options.maxRefreshesPerSecond ?? DEFAULT_MAX_REFRESHES_PER_SECOND;
  if (!Number.isFinite(maxRefreshesPerSecond) || maxRefreshesPerSecond <= 0) {
    throw new TypeError('"maxRefreshesPerSecond" must be a positive number');
  }
  const refreshRetryMs = checkMilliseconds(
    'refreshRetryMs',
    options.refreshRetryMs ?? DEFAULT_REFRESH_RETRY_MS,
  );
  const timers = options.timers ?? systemTimers;
  if (typeof timers.setTimeout !== 'function' || typeof timers.clearTimeout !== 'function') {
    throw new TypeError('"timers" must have setTimeout() and clearTimeout()');
  }
  const random = options.random ?? Math.random;
  if (typeof random !== 'function') throw new TypeError('"random" must be a function');
  const logger = options.logger ?? silentLogger;
  if (typeof logger.warn !== 'function' || typeof logger.debug !== 'function') {
    throw new TypeError('"logger" must have warn() and debug() methods');
  }
  return {
    exchanger,
    clock,
    metrics,
    maxEntries,
    minRemainingMs,
    refreshAheadMs,
    refreshJitterMs,
    maxRefreshesPerSecond,
    refreshRetryMs,
    timers,
    random,
    logger,
    missGuard: options.missGuard,
  };
}
