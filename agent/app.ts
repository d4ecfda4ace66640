import type { Server } from 'node:http';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { TokenVerifier } from './auth/token-verifier.js';
import type { CredentialCache } from './cache/credential-cache.js';
import { type Clock, type Monotonic, systemClock, systemMonotonic } from './clock.js';
import type { ServerConfig } from './config/parse-config.js';
import { createLogBudget } from './limits/log-budget.js';
import { createAuditLog } from './log/audit-log.js';
import type { Metrics } from './metrics/metrics.js';
import { createMetricsHandler } from './metrics/metrics-handler.js';
import { createRequestMetrics } from './metrics/request-metrics.js';
import type { PodChecker } from './pods/pod-checker.js';
import { createProbeHandler, type ReadinessCheck } from './probes/probe-handler.js';
import { type AdmissionDeps, createAdmission } from './routes/admission.js';
import { registerCredentialsRoute } from './routes/credentials.js';
import { registerErrorHandling } from './routes/error-handler.js';
import { createHostCheck } from './routes/host-check.js';
import { createRequestTimer } from './routes/request-timer.js';
import { type CredentialsListeners, listenCredentials } from './server/credentials-listeners.js';
import { closeServer, listenProbesAndMetrics, type RequestHandler } from './server/hardened-server.js';

/** Everything the app is built from; the real ones are made only in `main.ts`, tests pass fakes. */
export interface Deps {
  readonly verifier: TokenVerifier;
  readonly cache: CredentialCache;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Extra readiness conditions (e.g. the pod informer's first sync). */
  readonly readiness?: readonly ReadinessCheck[];
  /** Optional per-request check on the source (rate limit); throws `AgentError`. */
  readonly admit?: AdmissionDeps['admit'];
  /** The live-pod check of every credentials request (`--pod-check`). */
  readonly podCheck?: PodChecker | undefined;
  /** Called on close, after the servers stop (watchers, timers). */
  readonly onClose?: () => Promise<void> | void;
  /** Times the refusal-log budget. Default: the system clock. */
  readonly clock?: Clock;
  /** Times each credentials answer for the duration histogram. Default: `performance.now()`. */
  readonly monotonic?: Monotonic;
}

/** The agent: the credentials fastify app, the probe and metrics handlers and, once started, their listeners. */
export interface Agent {
  /** The credentials app (use `inject()` in tests). */
  readonly credentials: FastifyInstance;
  /** `/healthz`, `/readyz`. */
  readonly probes: RequestHandler;
  /** `/metrics`. */
  readonly metrics: RequestHandler;
  /** Binds the credentials addresses, the probe and the metrics servers. */
  start(): Promise<void>;
  /** State of each credentials address once started. */
  listenerStates(): ReadonlyMap<string, string>;
  /** Stops accepting, drains in-flight requests within the grace period, closes everything. */
  close(): Promise<void>;
}

/**
 * Stands in for fastify's schema compilers: no route of the agent declares a JSON schema, and the
 * default compilers would load ajv and fast-json-stringify at start-up for nothing (~20 ms of CPU;
 * the bundle leaves them out, see package.json). A route given a schema fails at `ready()` with this.
 */
function noSchemaCompiler(): never {
  throw new Error('the agent builds no JSON schema validators or serializers: add none to its routes');
}

/**
 * The credentials app's fastify instance (also the hit-path benchmark's shell). It has no fastify
 * logger: fastify then adds no response listeners, reads no clock and builds no child logger per
 * request, and the app logs only through its own code (its error handler, the audit log).
 */
export function createFastify(): FastifyInstance {
  return Fastify({
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 100 },
    bodyLimit: 1,
    return503OnClosing: true,
    schemaController: {
      compilersFactory: { buildValidator: noSchemaCompiler, buildSerializer: noSchemaCompiler },
    },
  }) as unknown as FastifyInstance;
}

/** Builds the agent's servers from a typed config and its dependencies. */
export function createApp(config: ServerConfig, deps: Deps): Agent {
  const credentials = createFastify();
  const timer = createRequestTimer(credentials, deps.monotonic ?? systemMonotonic);
  const observe = createRequestMetrics(deps.metrics);
  registerErrorHandling(
    credentials,
    (reply) => observe(reply.statusCode, 'none', timer.elapsedMs(reply.request)),
    createLogBudget(deps.clock ?? systemClock),
    deps.logger,
  );
  registerCredentialsRoute(credentials, {
    admission: createAdmission({
      isAllowedHost: createHostCheck(config.bindHosts, config.port),
      verifier: deps.verifier,
      admit: deps.admit,
      podCheck: deps.podCheck,
    }),
    cache: deps.cache,
    observe,
    audit: createAuditLog(deps.logger),
    timer,
  });

  let listeners: CredentialsListeners | undefined;
  const checks: ReadinessCheck[] = [
    () => (listeners === undefined ? 'credentials listeners not started' : listeners.notReadyReason()),
    () => (deps.verifier.isReady() ? undefined : 'token signing keys not loaded'),
    ...(deps.readiness ?? []),
  ];
  const probes = createProbeHandler(() => checks);
  const metrics = createMetricsHandler(deps.metrics.registry, (err) =>
    deps.logger.error({ err }, 'metrics could not be read'),
  );
  let servers: Server[] = [];

  return {
    credentials,
    probes,
    metrics,
    async start() {
      await credentials.ready();
      servers = await listenProbesAndMetrics(probes, metrics, config);
      listeners = await listenCredentials(
        (req, res) => credentials.routing(req, res),
        config.bindHosts,
        config.port,
        deps.logger,
      );
    },
    listenerStates: () => listeners?.states ?? new Map(),
    async close() {
      await listeners?.close(config.shutdownGraceMs);
      deps.cache.close();
      await deps.onClose?.();
      await Promise.all([credentials.close(), ...servers.map(closeServer)]);
    },
  };
}
