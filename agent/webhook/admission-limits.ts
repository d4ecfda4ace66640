import type { Server } from 'node:https';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { AgentError } from '../errors.js';
import { type ConnectionLimits, createConnectionLimiter } from '../limits/connection-limiter.js';

/**
 * Largest AdmissionReview accepted, bytes: the API server refuses request bodies over 3 MiB before
 * admission, and a review carries the pod once (CREATE) plus a small envelope.
 */
export const WEBHOOK_BODY_LIMIT_BYTES = 3 * 1024 * 1024 + 64 * 1024;
/** Longest time a client may take to send a whole request, milliseconds (API servers send at once). */
export const WEBHOOK_REQUEST_TIMEOUT_MS = 10_000;
/** Longest time a client may take to send its headers, milliseconds. */
export const WEBHOOK_HEADERS_TIMEOUT_MS = 5_000;
/** Longest TLS handshake, milliseconds (Node's default, 120 s, would let a silent client hold a socket). */
export const WEBHOOK_HANDSHAKE_TIMEOUT_MS = 5_000;
/** Idle time of a kept-alive connection, milliseconds: API servers reuse their connections. */
export const WEBHOOK_KEEP_ALIVE_TIMEOUT_MS = 30_000;
/**
 * Most reviews whose bodies are being read or answered at once; more are answered `503` at once,
 * before their bodies are read, so memory stays under 16 x {@link WEBHOOK_BODY_LIMIT_BYTES}.
 */
export const WEBHOOK_MAX_CONCURRENT_REVIEWS = 16;
/**
 * Caps on open connections: an HA control plane is a few API servers, each opening a connection per
 * concurrent call.
 */
export const WEBHOOK_CONNECTION_LIMITS: ConnectionLimits = Object.freeze({
  maxConnections: 128,
  maxPerSource: 64,
});

/** The `https` server options of the admission server, besides the certificate. */
export const WEBHOOK_SERVER_OPTIONS = Object.freeze({
  minVersion: 'TLSv1.2' as const,
  handshakeTimeout: WEBHOOK_HANDSHAKE_TIMEOUT_MS,
  headersTimeout: WEBHOOK_HEADERS_TIMEOUT_MS,
  requestTimeout: WEBHOOK_REQUEST_TIMEOUT_MS,
  connectionsCheckingInterval: 1_000,
  maxHeaderSize: 16 * 1024,
});

/**
 * Caps what hostile clients of the admission server can hold: connections per source and in total
 * (closed as soon as they are accepted, before the TLS handshake), and reviews in progress (the
 * excess answered `503 UpstreamUnavailable` before its body is read). With `failurePolicy: Ignore`
 * an answer the API server does not get admits the pod without injection: see docs/webhook.md.
 */
export function limitAdmissions(app: FastifyInstance<Server>): void {
  const limiter = createConnectionLimiter(WEBHOOK_CONNECTION_LIMITS);
  app.server.on('connection', (socket: Socket) => {
    if (!limiter.admit(socket)) socket.destroy();
  });
  let inProgress = 0;
  app.addHook('onRequest', (request, reply, done) => {
    if (inProgress >= WEBHOOK_MAX_CONCURRENT_REVIEWS) {
      reply.header('connection', 'close');
      done(new AgentError('UpstreamUnavailable', { message: 'Too many admission reviews in progress.' }));
      return;
    }
    inProgress += 1;
    let counted = true;
    const release = () => {
      if (counted) inProgress -= 1;
      counted = false;
    };
    request.raw.once('close', release);
    reply.raw.once('close', release);
    done();
  });
}
