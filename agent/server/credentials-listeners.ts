import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIPv6 } from 'node:net';
import type { Log } from '../log/logger.js';
import { systemTimers, type Timers } from '../timers.js';
import { answerClientError } from './client-error.js';

/** Largest accepted request header section (docs/api.md): larger gets 431 from Node's parser. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Time allowed for a client to send its headers (docs/security.md threat 7: slow clients). */
export const HEADERS_TIMEOUT_MS = 5_000;
/** Time allowed for a whole request. */
export const REQUEST_TIMEOUT_MS = 10_000;
/**
 * How often Node checks connections against the headers and request timeouts. Its default (30 s)
 * would let a slow client hold a socket for up to 35 s despite the 5 s headers timeout.
 */
export const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;
/** Idle keep-alive time; SDKs reuse connections between refreshes rarely, so keep it short. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** How often an address that could not be bound is tried again. */
export const REBIND_INTERVAL_MS = 5_000;

/** State of one credentials address. */
export type ListenerState = 'bound' | 'ipv6-unavailable' | 'in-use' | 'failed' | 'closed';

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

/**
 * Binds `handler` on every host at `port`. An IPv6 address that cannot be bound because IPv6 is off
 * is a warning, not a failure to start; an address held by another process is retried in the
 * background and keeps readiness false (docs/security.md threat 12). Throws when no address could be bound
 * and none is worth retrying.
 *
 * @param timers schedules the re-binds and the end of the close grace. Default {@link systemTimers}.
 */
export async function listenCredentials(
  handler: Handler,
  hosts: readonly string[],
  port: number,
  log: Log,
  timers: Timers = systemTimers,
): Promise<CredentialsListeners> {
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
    const server = createServer(
      {
        maxHeaderSize: MAX_HEADER_BYTES,
        headersTimeout: HEADERS_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
        connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS,
        insecureHTTPParser: false,
        // A request without Host reaches the route's Host check (403 InvalidHost, JSON) instead of
        // Node's bodyless 400.
        requireHostHeader: false,
      },
      serve,
    );
    server.on('clientError', answerClientError);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port, ipv6Only: isIPv6(host) }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      servers.set(host, server);
      states.set(host, 'bound');
      log.info({ host, port }, 'credentials endpoint listening');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (isIPv6(host) && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT')) {
        states.set(host, 'ipv6-unavailable');
        log.warn({ host, port, code }, 'IPv6 address not available on this node; serving IPv4 only');
        return;
      }
      states.set(host, code === 'EADDRINUSE' ? 'in-use' : 'failed');
      log.error({ host, port, code }, 'cannot bind credentials address; retrying');
      const timer = timers.setTimeout(() => {
        rebinds.delete(timer);
        if (states.get(host) !== 'closed') void bind(host);
      }, REBIND_INTERVAL_MS);
      rebinds.add(timer);
    }
  };

  await Promise.all(hosts.map(bind));
  if (![...states.values()].some((s) => s === 'bound' || s === 'in-use')) {
    for (const timer of rebinds) timers.clearTimeout(timer);
    throw new Error(
      `could not bind any credentials address (${[...states].map(([h, s]) => `${h}: ${s}`).join(', ')})`,
    );
  }

  return {
    states,
    notReadyReason() {
      const missing = [...states].filter(([, s]) => s === 'in-use' || s === 'failed');
      return missing.length === 0
        ? undefined
        : `credentials address not bound: ${missing.map(([h, s]) => `${h}:${port} (${s === 'in-use' ? 'in use by another process' : 'bind failed'})`).join(', ')}`;
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
