import { LRUCache } from 'lru-cache';
import type { PodIdentity } from '../auth/token-verifier.js';
import { checkInteger } from '../checks/option-checks.js';
import type { Clock } from '../clock.js';
import { DEFAULT_UPSTREAM_MISS_RATE } from '../config/flags.js';
import { AgentError, type AgentErrorCode, isAgentError } from '../errors.js';
import { createRateLimiter } from './rate-limiter.js';

/** Default time an upstream refusal of a service account is answered without asking again, milliseconds. */
export const DEFAULT_REFUSAL_TTL_MS = 30_000;
/** Default bound on remembered refusals (service accounts). */
export const DEFAULT_MAX_REFUSALS = 10_000;
/**
 * Default upstream calls per second for cache misses, node-wide (`--upstream-miss-rate`). The
 * credential service's throttling is account-wide: one node's pods must not spend it for the others.
 */
export const DEFAULT_MISSES_PER_SECOND = Number(DEFAULT_UPSTREAM_MISS_RATE);
/**
 * Smallest burst of the miss budget: a node booting 250 pods asks for all of them within a second or
 * two (bench/burst.ts), and each must be served, not throttled.
 */
export const MIN_MISS_BURST = 300;

/** Options of {@link createMissGuard}. */
export interface MissGuardOptions {
  readonly clock: Clock;
  /** Milliseconds a refusal is remembered; 0 remembers none. Default {@link DEFAULT_REFUSAL_TTL_MS}. */
  readonly refusalTtlMs?: number | undefined;
  /** Refusals remembered (LRU). Default {@link DEFAULT_MAX_REFUSALS}. */
  readonly maxRefusals?: number | undefined;
  /** New upstream calls per second for misses. Default {@link DEFAULT_MISSES_PER_SECOND}. */
  readonly missesPerSecond?: number | undefined;
  /** Bucket size of that budget. Default {@link MIN_MISS_BURST} or five times `missesPerSecond`, the larger. */
  readonly missBurst?: number | undefined;
}

/**
 * Guards the upstream calls the credential cache makes for misses (security.md threat 9). Background
 * refreshes of credentials in use do not pass through it, so they keep priority over new misses.
 */
export interface MissGuard {
  /**
   * Called before a miss starts an upstream call: throws the refusal remembered for the identity's
   * service account, or `Throttled` (retryable) when the node-wide budget for misses is spent.
   */
  admit(identity: PodIdentity): void;
  /**
   * Called with an upstream call's failure: a refusal of the service account (`NoAssociation`,
   * `AccessDenied`) is remembered for it. Other failures concern one token or a passing fault.
   */
  failed(identity: PodIdentity, error: unknown): void;
  /** Forgets the refusals of every identity `predicate` selects (e.g. its association changed). */
  forget(predicate: (identity: PodIdentity) => boolean): void;
  /** Refusals remembered now. */
  readonly refusals: number;
}

interface Refusal {
  readonly identity: PodIdentity;
  readonly error: AgentError;
}

/** Refusals that hold for a service account whichever token or pod asks. */
const REMEMBERED: ReadonlySet<AgentErrorCode> = new Set(['NoAssociation', 'AccessDenied']);

/** Associations are per service account: a refusal holds for every pod of it. */
function accountKey(identity: PodIdentity): string {
  return [identity.issuer, identity.namespace, identity.serviceAccount, identity.serviceAccountUid].join(
    '\u0000',
  );
}

/**
 * Creates the guard. A pod with no association asking in a loop costs one upstream call per
 * service account per `refusalTtlMs`; many such pods together cost at most the miss budget.
 */
export function createMissGuard(options: MissGuardOptions): MissGuard {
  const { clock } = options;
  const missesPerSecond = checkInteger(
    'missesPerSecond',
    options.missesPerSecond ?? DEFAULT_MISSES_PER_SECOND,
  );
  const refusalTtlMs = checkInteger('refusalTtlMs', options.refusalTtlMs ?? DEFAULT_REFUSAL_TTL_MS, 0);
  const refusals = new LRUCache<string, Refusal>({
    max: checkInteger('maxRefusals', options.maxRefusals ?? DEFAULT_MAX_REFUSALS),
    ttl: Math.max(1, refusalTtlMs),
    ttlResolution: 0,
    perf: clock,
  });
  const budget = createRateLimiter({
    ratePerSecond: missesPerSecond,
    burst: options.missBurst ?? Math.max(MIN_MISS_BURST, 5 * missesPerSecond),
    clock,
    maxAddresses: 1,
  });

  return {
    admit(identity) {
      const refusal = refusals.get(accountKey(identity));
      // A fresh error each time: the remembered one's stack and cause belong to the first request.
      if (refusal !== undefined) throw new AgentError(refusal.error.code, { cause: refusal.error.cause });
      if (!budget.take('upstream')) throw new AgentError('Throttled', { retryable: true });
    },
    failed(identity, error) {
      if (refusalTtlMs > 0 && isAgentError(error) && REMEMBERED.has(error.code))
        refusals.set(accountKey(identity), { identity, error });
    },
    forget(predicate) {
      for (const [key, refusal] of refusals.entries()) if (predicate(refusal.identity)) refusals.delete(key);
    },
    get refusals() {
      refusals.purgeStale();
      return refusals.size;
    },
  };
}
