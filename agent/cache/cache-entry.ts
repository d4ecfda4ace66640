import type { VerifiedToken } from '../auth/token-verifier.js';
import type { CachedCredentials } from './cached-credentials.js';
import type { CacheResult } from './credential-cache.js';

/**
 * Where an entry is in its refresh cycle:
 * `waiting` (refresh timer pending), `idle` (refresh time passed without use, or the last refresh failed;
 * it lapses unless used), `queued` (waiting for the rate limiter), `refreshing` (upstream call in flight),
 * `gone` (no longer in the cache).
 */
export type EntryState = 'waiting' | 'idle' | 'queued' | 'refreshing' | 'gone';

/** One identity's cached credentials. Mutable on purpose: the hit path only flips fields. */
export interface CacheEntry {
  readonly key: string;
  /** The latest-expiring verified token seen for this identity; used only to refresh. Never logged. */
  token: VerifiedToken;
  readonly credentials: CachedCredentials;
  /** Served until this instant (expiration - minRemaining), epoch milliseconds; then it is a miss. */
  readonly serveUntil: number;
  /** The hit answer, built once: the hit path allocates nothing. */
  readonly hit: Promise<CacheResult>;
  /** True once these credentials were served from the cache (a hit) since they were issued. */
  served: boolean;
  /** True after a failed background refresh: hits are counted as `stale_served`. */
  failed: boolean;
  /** After a failed refresh, the earliest instant a use may queue another one (epoch ms). */
  retryAt: number;
  state: EntryState;
  /** The pending refresh or lapse timer. */
  timer: unknown;
}

/** A fresh entry for credentials just obtained from the upstream. */
export function createEntry(
  key: string,
  token: VerifiedToken,
  credentials: CachedCredentials,
  minRemainingMs: number,
): CacheEntry {
  return {
    key,
    token,
    credentials,
    serveUntil: credentials.expiration - minRemainingMs,
    hit: Promise.resolve(Object.freeze({ credentials, outcome: 'hit' as const })),
    served: false,
    failed: false,
    retryAt: 0,
    state: 'waiting',
    timer: undefined,
  };
}
