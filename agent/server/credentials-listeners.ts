import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { type ConnectionLimits, createConnectionLimiter } from '../limits/connection-limiter.js';
import type { Log } from '../log/logger.js';
import { systemTimers, type Timers } from '../timers.js';
import { createHardenedServer, listen } from './hardened-server.js';

/**
 * Default caps on the credentials listeners' open connections, shared by every bind address, sized
 * to the DaemonSet's 256 MiB memory limit: with 4,096 connections each holding a half-sent 15 KiB
 * header section, the agent's memory cgroup peaked at 124 MiB (test/integration/availability.test.ts).
 * One source address (one pod) may hold 256, far more than any SDK opens.
 */
export const CREDENTIALS_CONNECTION_LIMITS: ConnectionLimits = Object.freeze({
  maxConnections: 4_096,
  maxPerSource: 256,
});

/** How often an address that could not be bound is tried again. */
export const REBIND_INTERVAL_MS = 5_000;

/**
 * State of one credentials address. `ipv6-unavailable`: IPv6 is off on the node (expected on IPv4
 * clusters). `not-on-interface`: IPv6 is on but the address is on no interface (the init container
 * puts it there, so something went wrong).
 */
export type ListenerState =
  | 'bound'
  | 'ipv6-unavailable'
  | 'not-on-interface'
  | 'in-use'
  | 'failed'
  | 'closed';

/** Whether the node has IPv6 on: any interface holds an IPv6 address (`::1` on `lo` at least). */
export function hasIpv6(): boolean {
  return Object.values(networkInterfaces()).some((addresses) => addresses?.some((a) => a.family === 'IPv6'));
}

/** The credentials listeners, one HTTP server per bind host. */
export interface CredentialsListeners {
  /** State per bind host. */
  readonly states: ReadonlyMap<string, ListenerState>;
  /** Why the listeners are not ready, or undefined when every expected address is bound. */
  notReadyReason(): string | undefined;
  /** Stops accepting, lets in-flight requests finish within `graceMs`, then closes the rest. */
  close(graceMs: number): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Readiness words per state of an address that is retried. */
const WHY = {
  'in-use': 'in use by another process',
  failed: 'bind failed',
  'not-on-interface': 'IPv6 is on but the address is on no interface',
} as const;

/**
 * Binds `handler` on every host at `port`. An IPv6 address that cannot be bound because IPv6 is off
 * is a warning (the node serves IPv4 pods only); an IPv6 address missing while IPv6 is on, an
 * address held by another process or any other bind failure is retried in the background and keeps
 * readiness false (docs/security.md threat 12). Every address's server is a {@link createHardenedServer},
 * all sharing one connection limiter with `options.limits` (default {@link CREDENTIALS_CONNECTION_LIMITS}).
 * Throws when no address could be bound and none is worth retrying.
 *
 * @param options.timers schedules the re-binds and the end of the close grace. Default {@link systemTimers}.
 */
export async function listenCredentials(
  handler: Handler,
  hosts: readonly string[],
  port: number,
  log: Log,
  options: {
    readonly ipv6Enabled?: () => boolean;
    readonly limits?: ConnectionLimits;
    readonly timers?: Timers;
  } = {},
): Promise<CredentialsListeners> {
  const limiter = createConnectionLimiter(options.limits ?? CREDENTIALS_CONNECTION_LIMITS);
  const ipv6Enabled = options.ipv6Enabled ?? hasIpv6;
  const timers = options.timers ?? systemTimers;
  const states = new Map<string, ListenerState>();
  const servers = new Map<string, Server>();
  const rebinds = new Set<unknown>();
  let closing = false;
  // While draining, answers on kept-alive connections close them, so close() does not wait for idle sockets.
  const serve: Handler = (req, res) => {
    if (closing) res.shouldKeepAlive = false;
    handler(req, res);
  };

  const bind = async (host: string): Promise<void> => {
    const server = createHardenedServer(serve, { limiter });
    try {
      await listen(server, { host, port, ipv6Only: isIPv6(host) });
      servers.set(host, server);
      states.set(host, 'bound');
      log.info({ host, port }, 'credentials endpoint listening');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const v6 = isIPv6(host) && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT');
      if (v6 && (code === 'EAFNOSUPPORT' || !ipv6Enabled())) {
        states.set(host, 'ipv6-unavailable');
        log.warn({ host, port, code }, 'IPv6 is off on this node; serving IPv4 only');
        return;
      }
      if (v6) {
        states.set(host, 'not-on-interface');
        log.error(
          { host, port, code },
          'IPv6 is on but this address is on no interface (the init container adds it); retrying',
        );
      } else {
        states.set(host, code === 'EADDRINUSE' ? 'in-use' : 'failed');
        log.error({ host, port, code }, 'cannot bind credentials address; retrying');
      }
      const timer = timers.setTimeout(() => {
        rebinds.delete(timer);
        if (states.get(host) !== 'closed') void bind(host);
      }, REBIND_INTERVAL_MS);
      rebinds.add(timer);
    }
  };

  await Promise.all(hosts.map(bind));
  if (![...states.values()].some((s) => s === 'bound' || s === 'in-use' || s === 'not-on-interface')) {
    for (const timer of rebinds) timers.clearTimeout(timer);
    throw new Error(
      `could not bind any credentials address (${[...states].map(([h, s]) => `${h}: ${s}`).join(', ')})`,
    );
  }

  return {
    states,
    notReadyReason() {
      const missing = [...states].filter(
        ([, s]) => s === 'in-use' || s === 'failed' || s === 'not-on-interface',
      );
      return missing.length === 0
        ? undefined
        : `credentials address not bound: ${missing.map(([h, s]) => `${h}:${port} (${WHY[s as keyof typeof WHY]})`).join(', ')}`;
    },
    async close(graceMs) {
      closing = true;
      for (const timer of rebinds) timers.clearTimeout(timer);
      for (const host of states.keys()) states.set(host, 'closed');
      await Promise.all(
        [...servers.values()].map(
          (server) =>
            new Promise<void>((resolve) => {
              const force = timers.setTimeout(() => server.closeAllConnections(), graceMs);
              const sweep = setInterval(() => server.closeIdleConnections(), 50);
              server.close(() => {
                timers.clearTimeout(force);
                clearInterval(sweep);
                resolve();
              });
            }),
        ),
      );
    },
  };
}
