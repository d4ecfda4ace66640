import {
  type CryptoKey,
  createLocalJWKSet,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  errors as joseErrors,
} from 'jose';
import { toSigningKeySet } from '../checks/jwks.js';
import { checkInteger } from '../checks/option-checks.js';
import type { Clock } from '../clock.js';
import type { Log } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { systemTimers, type Timers } from '../timers.js';
import type { KeyFetcher } from './key-fetcher.js';

/** Default time between background refreshes of a loaded key set, milliseconds (10 min). */
export const DEFAULT_REFRESH_INTERVAL_MS = 600_000;
/** Default time between load attempts while no key set has loaded yet, milliseconds. */
export const DEFAULT_RETRY_INTERVAL_MS = 10_000;
/** Default least time between refetches caused by an unknown `kid`, milliseconds (30 s). */
export const DEFAULT_MIN_REFETCH_INTERVAL_MS = 30_000;

/** A pino-compatible logger (only the levels used here). */
export type KeySetLogger = Pick<Log, 'info' | 'warn'>;

/** Role: the verification keys of tokens, as the verifier sees them. */
export interface TokenKeySet {
  /** jose key lookup: picks the key by `kid` and `alg`; on an unknown `kid`, refetches (rate-limited) first. */
  getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey>;
  /** True once a key set has loaded (readiness). */
  isLoaded(): boolean;
  /** Issuer named by the source's discovery document, if it has one. */
  issuer(): string | undefined;
  /** Increases whenever the loaded keys change (memoized verifications older than it are redone). */
  generation(): number;
}

/** A {@link TokenKeySet} that loads and refreshes itself. */
export interface KeySet extends TokenKeySet {
  /** First load; resolves true when keys are loaded. Never rejects: failures are logged and retried. */
  load(): Promise<boolean>;
  /** Fetches now; resolves true on success. On failure the last good keys stay in use. */
  refresh(): Promise<boolean>;
  /** Stops background refreshes. */
  close(): void;
}

/** Options of {@link createKeySet}. */
export interface KeySetOptions {
  readonly fetcher: KeyFetcher;
  readonly clock: Clock;
  /** Schedules the retries and refreshes. Default {@link systemTimers} (unref'd). */
  readonly timers?: Timers | undefined;
  readonly metrics: Pick<Metrics, 'jwksRefreshes'>;
  readonly logger?: KeySetLogger | undefined;
  /** Milliseconds between refreshes once loaded. Default {@link DEFAULT_REFRESH_INTERVAL_MS}; 0 turns them off. */
  readonly refreshIntervalMs?: number | undefined;
  /** Milliseconds between attempts until the first load succeeds. Default {@link DEFAULT_RETRY_INTERVAL_MS}. */
  readonly retryIntervalMs?: number | undefined;
  /** Least milliseconds between unknown-`kid` refetches. Default {@link DEFAULT_MIN_REFETCH_INTERVAL_MS}. */
  readonly minRefetchIntervalMs?: number | undefined;
}

type LocalSet = ReturnType<typeof createLocalJWKSet>;

/**
 * Creates a key set over `fetcher` (docs/security.md, threat 1): keeps the last good set when the source is
 * down or answers junk, refetches on an unknown `kid` at most once per `minRefetchIntervalMs`, and
 * refreshes in the background. Every fetch counts in `jwksRefreshes{result}`.
 */
export function createKeySet(options: KeySetOptions): KeySet {
  const { fetcher, clock, metrics, logger, timers = systemTimers } = options;
  const refreshIntervalMs = checkInteger(
    'refreshIntervalMs',
    options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS,
    0,
  );
  const retryIntervalMs = checkInteger(
    'retryIntervalMs',
    options.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS,
    0,
  );
  const minRefetchMs = checkInteger(
    'minRefetchIntervalMs',
    options.minRefetchIntervalMs ?? DEFAULT_MIN_REFETCH_INTERVAL_MS,
    0,
  );

  let local: LocalSet | undefined;
  let loadedJson = '';
  let gen = 0;
  let discoveredIssuer: string | undefined;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<boolean> | undefined;
  let timer: unknown;
  let closed = false;

  const fetchOnce = async (): Promise<boolean> => {
    lastAttemptAt = clock.now();
    try {
      const result = await fetcher();
      const jwks: JSONWebKeySet = toSigningKeySet(result.document);
      const json = JSON.stringify(jwks);
      if (json !== loadedJson) {
        local = createLocalJWKSet(jwks);
        loadedJson = json;
        gen++;
        logger?.info({ keys: jwks.keys.map((k) => k.kid ?? null) }, 'token signing keys loaded');
      }
      if (result.issuer !== undefined) discoveredIssuer = result.issuer;
      metrics.jwksRefreshes.inc({ result: 'success' });
      return true;
    } catch (error) {
      metrics.jwksRefreshes.inc({ result: 'error' });
      logger?.warn(
        { err: error, keptLastGood: local !== undefined },
        'token signing keys could not be fetched; keeping the last good set',
      );
      return false;
    }
  };

  const refresh = (): Promise<boolean> => {
    inFlight ??= fetchOnce().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  const schedule = (): void => {
    if (closed) return;
    const delay = local === undefined ? retryIntervalMs : refreshIntervalMs;
    if (delay === 0) return;
    timer = timers.setTimeout(() => {
      void refresh().finally(schedule);
    }, delay);
  };

  const getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    const mayRefetch = () => clock.now() - lastAttemptAt >= minRefetchMs;
    if (local === undefined && mayRefetch()) await refresh();
    if (local === undefined) throw new joseErrors.JWKSNoMatchingKey('token signing keys are not loaded');
    try {
      return await local(header, token);
    } catch (error) {
      // Key rotation: a new kid appears in tokens before our copy of the set has it (docs/security.md, threat 1).
      if (!(error instanceof joseErrors.JWKSNoMatchingKey) || !mayRefetch()) throw error;
      await refresh();
      return local(header, token);
    }
  };

  return {
    getKey,
    isLoaded: () => local !== undefined,
    issuer: () => discoveredIssuer,
    generation: () => gen,
    refresh,
    async load() {
      const ok = await refresh();
      if (timer === undefined) schedule();
      return ok;
    },
    close() {
      closed = true;
      timers.clearTimeout(timer);
    },
  };
}
