import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock.js';

/** Default most source addresses tracked at once (a node runs a few hundred pods). */
export const DEFAULT_MAX_ADDRESSES = 10_000;

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Sustained requests per second per address; a positive integer. */
  readonly ratePerSecond: number;
  /** Bucket size, requests. Default twice `ratePerSecond` (docs/configuration.md `--rate-limit`). */
  readonly burst?: number | undefined;
  readonly clock: Clock;
  /** Most addresses remembered; the least recently seen is forgotten first. Default {@link DEFAULT_MAX_ADDRESSES}. */
  readonly maxAddresses?: number | undefined;
  /**
   * Milliseconds after which an idle address is forgotten. Default: the time an empty bucket takes to
   * fill, so forgetting it never gives a client more than it would have had.
   */
  readonly idleMs?: number | undefined;
}

/** A token bucket per source address (docs/security.md threat 9). */
export interface RateLimiter {
  /** Takes one token for `address`; false when its bucket is empty. */
  take(address: string): boolean;
  /** Addresses currently remembered (bounded by `maxAddresses`). */
  readonly size: number;
}

/** Tokens are counted in thousandths so that refills stay exact integers (no float drift). */
const UNIT = 1000;

interface Bucket {
  /** Thousandths of a token. */
  tokens: number;
  /** When `tokens` was last brought up to date, epoch milliseconds. */
  at: number;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`"${name}" must be a positive integer`);
  return value;
}

/**
 * The source address as one key: IPv4-mapped IPv6 (`::ffff:10.0.0.1`, what a dual-stack socket
 * reports) becomes the IPv4 address, so one client has one bucket whichever listener it used.
 */
export function normaliseAddress(address: string | undefined): string {
  if (address === undefined || address.length === 0) return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped?.[1] ?? address.toLowerCase();
}

/**
 * Creates the per-address token bucket: each address starts with `burst` tokens and earns
 * `ratePerSecond` per second up to `burst`. Memory is bounded by `maxAddresses` (LRU) and idle
 * addresses expire, so a client cycling through many addresses cannot grow the heap.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { clock } = options;
  const rate = positiveInt('ratePerSecond', options.ratePerSecond);
  const burst = positiveInt('burst', options.burst ?? 2 * rate);
  const maxAddresses = positiveInt('maxAddresses', options.maxAddresses ?? DEFAULT_MAX_ADDRESSES);
  const idleMs = positiveInt('idleMs', options.idleMs ?? Math.ceil((burst * 1000) / rate));
  // ttlResolution 0: lru-cache would otherwise cache "now" for a real millisecond, ignoring the clock.
  const buckets = new LRUCache<string, Bucket>({
    max: maxAddresses,
    ttl: idleMs,
    ttlResolution: 0,
    perf: clock,
  });

  return {
    take(address) {
      const now = clock.now();
      const bucket = buckets.get(address) ?? { tokens: burst * UNIT, at: now };
      // elapsed ms × tokens/s = thousandths of a token.
      bucket.tokens = Math.min(burst * UNIT, bucket.tokens + Math.max(0, now - bucket.at) * rate);
      bucket.at = now;
      const allowed = bucket.tokens >= UNIT;
      if (allowed) bucket.tokens -= UNIT;
      buckets.set(address, bucket);
      return allowed;
    },
    get size() {
      buckets.purgeStale();
      return buckets.size;
    },
  };
}
