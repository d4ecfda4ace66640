import type { RoleCredentials } from '../agent/exchange/credential-exchanger.js';
import type { FakeTime } from './fake-time.js';

/** Refresh period of the EKS Pod Identity Agent's janitor: min(3 h, expiry) after each fetch. */
const REFRESH_AFTER_MS = 3 * 3600_000;
/** The EKS Pod Identity Agent serves cached credentials until 15 s before expiry. */
const SERVE_MARGIN_MS = 15_000;
/** LRU bound of the reference cache, by write order. */
const MAX_ENTRIES = 2000;

interface RefEntry {
  credentials: RoleCredentials;
  refreshAt: number;
  readonly tokenExpiresAt: number;
}

/** A token as the reference agent sees it: the raw string (its cache key) and its `exp`. */
export interface RawToken {
  readonly raw: string;
  readonly expiresAt: number;
}

/**
 * The cache algorithm of the EKS Pod Identity Agent (the reference this agent is compared with): keyed
 * by the raw token, LRU 2000 by write order, one janitor refreshing every entry at min(3 h, expiry)
 * after its fetch, dead pods included, until the token expires.
 */
export function createReferenceCache(
  time: FakeTime,
  exchange: (token: RawToken) => Promise<RoleCredentials>,
): { get(token: RawToken): Promise<RoleCredentials>; close(): void } {
  const entries = new Map<string, RefEntry>();
  const tokens = new Map<string, RawToken>();
  let closed = false;

  const store = (token: RawToken, credentials: RoleCredentials) => {
    const now = time.now();
    entries.delete(token.raw);
    entries.set(token.raw, {
      credentials,
      refreshAt: now + Math.min(REFRESH_AFTER_MS, credentials.expiration - now),
      tokenExpiresAt: token.expiresAt,
    });
    tokens.set(token.raw, token);
    for (const oldest of entries.keys()) {
      if (entries.size <= MAX_ENTRIES) break;
      entries.delete(oldest);
      tokens.delete(oldest);
    }
  };

  const janitor = async () => {
    if (closed) return;
    const now = time.now();
    for (const [raw, entry] of [...entries]) {
      if (entry.tokenExpiresAt <= now) {
        entries.delete(raw);
        continue;
      }
      if (entry.refreshAt <= now)
        store(tokens.get(raw) as RawToken, await exchange(tokens.get(raw) as RawToken));
    }
    time.setTimeout(() => void janitor(), 60_000);
  };
  time.setTimeout(() => void janitor(), 60_000);

  return {
    async get(token) {
      const entry = entries.get(token.raw);
      if (entry !== undefined && entry.credentials.expiration - time.now() > SERVE_MARGIN_MS)
        return entry.credentials;
      const credentials = await exchange(token);
      store(token, credentials);
      return credentials;
    },
    close() {
      closed = true;
    },
  };
}
