import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ListenOptions } from 'node:net';
import type { CommonConfig } from '../config/parse-config.js';
import {
  type ConnectionLimiter,
  type ConnectionLimits,
  createConnectionLimiter,
} from '../limits/connection-limiter.js';
import { answerClientError } from './client-error.js';

/** Largest accepted request header section: larger gets 431 from Node's parser. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Time allowed for a client to send its headers (security.md threat 7: slow clients). */
export const HEADERS_TIMEOUT_MS = 5_000;
/** Time allowed for a whole request. */
export const REQUEST_TIMEOUT_MS = 10_000;
/**
 * How often Node checks connections against the headers and request timeouts. Its default (30 s)
 * would let a slow client hold a socket for up to 35 s despite the 5 s headers timeout.
 */
export const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;
/** Idle keep-alive time; clients reuse connections between refreshes rarely, so keep it short. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** A `node:http` request handler (`light-my-request` injects into one in tests). */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Options of {@link createHardenedServer}. */
export interface HardenedServerOptions {
  /** Caps open connections; a connection over a cap is closed as soon as it is accepted. */
  readonly limiter: ConnectionLimiter;
  /** Largest header section, bytes. Default {@link MAX_HEADER_BYTES}. */
  readonly maxHeaderBytes?: number | undefined;
}

/**
 * An HTTP server as hard as the credentials listener: Node's strict parser, a small header section,
 * short header, request and keep-alive timeouts checked every second, parser refusals answered with
 * the contract's JSON error, and connections capped per source address and in total. Every listener
 * of the agent (credentials, probes, metrics) is one of these, so a client that opens connections and
 * sends nothing, or trickles its headers, holds at most its share of the caps for about 6 s.
 */
export function createHardenedServer(handler: RequestHandler, options: HardenedServerOptions): Server {
  const server = createServer(
    {
      maxHeaderSize: options.maxHeaderBytes ?? MAX_HEADER_BYTES,
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS,
      insecureHTTPParser: false,
      // A request without Host reaches the route's checks (a JSON error) instead of Node's bodyless 400.
      requireHostHeader: false,
    },
    handler,
  );
  server.on('clientError', answerClientError);
  server.on('connection', (socket) => {
    if (!options.limiter.admit(socket)) socket.destroy();
  });
  return server;
}

/**
 * Caps of the probe listener (127.0.0.1 by default, so reachable only from the node's network
 * namespace): the kubelet opens one connection per probe.
 */
export const PROBE_CONNECTION_LIMITS: ConnectionLimits = Object.freeze({
  maxConnections: 64,
  maxPerSource: 64,
});
/**
 * Caps of the metrics listener: a scraper opens one or two connections, so eight per source address
 * leave every scraper room while one pod flooding the port holds at most eight sockets.
 */
export const METRICS_CONNECTION_LIMITS: ConnectionLimits = Object.freeze({
  maxConnections: 64,
  maxPerSource: 8,
});

/**
 * A {@link createHardenedServer} with its own limiter of `limits`, listening on `host:port` (the
 * probe and metrics listeners); rejects with the bind error.
 */
async function listenHardened(
  handler: RequestHandler,
  limits: ConnectionLimits,
  host: string,
  port: number,
): Promise<Server> {
  const server = createHardenedServer(handler, { limiter: createConnectionLimiter(limits) });
  await listen(server, { host, port });
  return server;
}

/**
 * The probe listener and, unless `metricsPort` is 0, the metrics listener of a server that has both
 * (the agent and the webhook), each a {@link listenHardened} with its own caps. Resolves with the
 * bound servers; when the metrics address cannot be bound, closes the probe server and rejects.
 */
export async function listenProbesAndMetrics(
  probes: RequestHandler,
  metrics: RequestHandler,
  at: Pick<CommonConfig, 'probeAddress' | 'probePort' | 'metricsAddress' | 'metricsPort'>,
): Promise<Server[]> {
  const probeServer = await listenHardened(probes, PROBE_CONNECTION_LIMITS, at.probeAddress, at.probePort);
  if (at.metricsPort === 0) return [probeServer];
  try {
    return [
      probeServer,
      await listenHardened(metrics, METRICS_CONNECTION_LIMITS, at.metricsAddress, at.metricsPort),
    ];
  } catch (error) {
    await closeServer(probeServer);
    throw error;
  }
}

/** `server.listen(options)` as a promise: resolves once listening, rejects with the bind error. */
export function listen(server: Server, options: ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops accepting, closes idle kept-alive connections, and resolves once every connection is gone. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
