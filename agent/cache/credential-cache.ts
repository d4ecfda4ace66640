import type { PodIdentity, VerifiedToken } from '../auth/token-verifier.js';
import type { CachedCredentials } from './cached-credentials.js';

/** How a request was served. */
export type CacheOutcome = 'hit' | 'miss';

/** Credentials plus how they were found. */
export interface CacheResult {
  readonly credentials: CachedCredentials;
  readonly outcome: CacheOutcome;
}

/**
 * Role: returns credentials for a verified token, from cache or through a single-flight exchange.
 * Never serves credentials with less than the configured minimum remaining lifetime.
 */
export interface CredentialCache {
  get(token: VerifiedToken): Promise<CacheResult>;
  /**
   * The cache hit for `token`, synchronously: its credentials when served from memory (counted and
   * refreshed as `get` would), else undefined with nothing counted (then call `get`).
   */
  hit(token: VerifiedToken): CachedCredentials | undefined;
  /** Drops every entry whose identity or credentials match; returns how many were dropped. */
  drop(predicate: (identity: PodIdentity, credentials: CachedCredentials | undefined) => boolean): number;
  /** Number of cached identities. */
  readonly size: number;
  /** Stops background refresh timers. */
  close(): void;
}
