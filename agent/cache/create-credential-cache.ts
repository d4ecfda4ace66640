import { LRUCache } from 'lru-cache';
import { identityKey, type PodIdentity, type VerifiedToken } from '../auth/token-verifier.js';
import { isAgentError } from '../errors.js';
import type { RoleCredentials } from '../exchange/credential-exchanger.js';
import { type CacheEntry, createEntry } from './cache-entry.js';
import { type CredentialCacheOptions, resolveCacheOptions } from './cache-options.js';
import { type CachedCredentials, toCachedCredentials } from './cached-credentials.js';
import type { CacheResult, CredentialCache } from './credential-cache.js';
import { createRefreshScheduler } from './refresh-scheduler.js';

/** One upstream call in flight for one identity, shared by every waiter (single-flight). */
interface Flight {
  readonly identity: PodIdentity;
  /** Set by `drop()`: waiters still get the result, but it is not stored. */
  dropped: boolean;
  promise: Promise<CacheResult>;
}

/**
 * Creates the credential cache: hits are served from memory while more than `minRemainingMs` is left;
 * concurrent misses for one identity share one upstream call and its outcome; used entries are
 * refreshed in the background, rate-limited and jittered; a failed refresh keeps serving the old
 * credentials (stale-if-error) until the minimum-remaining zone (docs/architecture.md, "Design
 * decisions").
 *
 * Single-flight is done here rather than with lru-cache's `fetch()`: `fetch()` keeps the pending call
 * as the entry's value (so evicting or deleting it aborts the call), and its stale-on-rejection serves
 * values past their TTL, whereas we must never serve under `minRemainingMs`.
 *
 * @throws TypeError naming the option when an option is invalid.
 */
export function createCredentialCache(options: CredentialCacheOptions): CredentialCache {
  const opts = resolveCacheOptions(options);
  const { exchanger, clock, metrics, minRemainingMs, logger, missGuard } = opts;
  // The hit path's events are tallies (no label object or hashing per hit); the others bound children.
  const hits = metrics.cacheEvents.tally({ event: 'hit' });
  const staleServed = metrics.cacheEvents.tally({ event: 'stale_served' });
  const misses = metrics.cacheEvents.labels('miss');
  const refreshes = metrics.cacheEvents.labels('refresh');
  const evictions = metrics.cacheEvents.labels('evict');
  const flights = new Map<string, Flight>();
  let closed = false;

  const entries = new LRUCache<string, CacheEntry>({
    max: opts.maxEntries,
    perf: clock,
    dispose: (entry, _key, reason) => {
      scheduler.cancel(entry);
      if (reason === 'evict') evictions.inc();
    },
  });

  const scheduler = createRefreshScheduler({
    ...opts,
    isCurrent: (entry) => entries.peek(entry.key) === entry,
    lapse: (entry) => remove(entry.key),
    refresh: startRefresh,
  });

  function syncGauge(): void {
    metrics.cacheEntries.set(entries.size);
  }

  function remove(key: string): void {
    if (entries.delete(key)) syncGauge();
  }

  function store(key: string, token: VerifiedToken, credentials: CachedCredentials): void {
    const entry = createEntry(key, token, credentials, minRemainingMs);
    if (entry.serveUntil <= clock.now()) {
      // Served once to its waiters (nothing better exists), but useless to cache.
      logger.warn(
        { namespace: token.identity.namespace, podName: token.identity.podName },
        'credentials too short-lived to cache',
      );
      return;
    }
    entries.set(key, entry);
    syncGauge();
    scheduler.schedule(entry);
  }

  /** Returns the flight for `key`, starting the upstream call if none is in flight. */
  function fly(key: string, token: VerifiedToken): Flight {
    const existing = flights.get(key);
    if (existing !== undefined) return existing;
    const flight: Flight = { identity: token.identity, dropped: false, promise: undefined as never };
    let call: Promise<RoleCredentials>;
    try {
      // No client signal: a client that gives up (SDKs wait 1-2 s) must find the result on its retry.
      call = exchanger.exchange(token);
    } catch (error) {
      call = Promise.reject(error);
    }
    flight.promise = call.then(
      (exchanged) => {
        if (flights.get(key) === flight) flights.delete(key);
        const credentials = toCachedCredentials(exchanged);
        if (!flight.dropped && !closed) store(key, token, credentials);
        return Object.freeze({ credentials, outcome: 'miss' as const });
      },
      (error: unknown) => {
        if (flights.get(key) === flight) flights.delete(key);
        if (!flight.dropped) missGuard?.failed(flight.identity, error);
        throw error;
      },
    );
    flights.set(key, flight);
    return flight;
  }

  function startRefresh(entry: CacheEntry): boolean {
    const { token } = entry;
    if (token.identity.tokenExpiresAt <= clock.now()) {
      // The pod stopped presenting fresh tokens (gone, or idle past its token): refresh nothing.
      remove(entry.key);
      return false;
    }
    entry.state = 'refreshing';
    refreshes.inc();
    fly(entry.key, token).promise.then(undefined, (error: unknown) => {
      const retryable = isAgentError(error) && error.retryable;
      const identity = token.identity;
      logger.warn(
        {
          namespace: identity.namespace,
          podName: identity.podName,
          code: isAgentError(error) ? error.code : undefined,
          retryable,
        },
        'background credential refresh failed',
      );
      if (entries.peek(entry.key) !== entry) return;
      if (retryable) scheduler.refreshFailed(entry, clock.now());
      else remove(entry.key);
    });
    return true;
  }

  /** The entry serving `token` now, with the hit's bookkeeping done; undefined on a miss (nothing counted). */
  function serve(token: VerifiedToken): CacheEntry | undefined {
    const entry = entries.get(identityKey(token.identity));
    if (entry === undefined) return undefined;
    const now = clock.now();
    if (entry.serveUntil <= now) return undefined;
    if (token.identity.tokenExpiresAt > entry.token.identity.tokenExpiresAt) entry.token = token;
    entry.served = true;
    if (entry.failed) staleServed.inc();
    else hits.inc();
    if (entry.state === 'idle') scheduler.wake(entry, now);
    return entry;
  }

  function get(token: VerifiedToken): Promise<CacheResult> {
    const entry = serve(token);
    if (entry !== undefined) return entry.hit;
    misses.inc();
    const key = identityKey(token.identity);
    if (missGuard !== undefined && !flights.has(key)) {
      try {
        missGuard.admit(token.identity); // a remembered refusal, or Throttled past the budget
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return fly(key, token).promise;
  }

  function drop(
    predicate: (identity: PodIdentity, credentials: CachedCredentials | undefined) => boolean,
  ): number {
    const doomed = new Set<string>();
    entries.forEach((entry, key) => {
      if (predicate(entry.token.identity, entry.credentials)) doomed.add(key);
    });
    for (const [key, flight] of flights) {
      if (doomed.has(key) || predicate(flight.identity, undefined)) {
        // Its waiters still get the result; later requests start afresh (e.g. with a new association).
        flight.dropped = true;
        flights.delete(key);
        doomed.add(key);
      }
    }
    for (const key of doomed) entries.delete(key);
    if (doomed.size > 0) syncGauge();
    missGuard?.forget((identity) => predicate(identity, undefined));
    return doomed.size;
  }

  return {
    get,
    hit: (token) => serve(token)?.credentials,
    drop,
    get size(): number {
      return entries.size;
    },
    close(): void {
      closed = true;
      scheduler.close();
      for (const entry of entries.values()) scheduler.cancel(entry);
    },
  };
}
