import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:https';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { AssociationResolver } from '../associations/association.js';
import type { WebhookConfig } from '../config/parse-config.js';
import { createMetricsHandler } from '../metrics/metrics-handler.js';
import { createProbeHandler, type ReadinessCheck } from '../probes/probe-handler.js';
import { closeServer, listenProbesAndMetrics, type RequestHandler } from '../server/hardened-server.js';
import {
  limitAdmissions,
  WEBHOOK_BODY_LIMIT_BYTES,
  WEBHOOK_KEEP_ALIVE_TIMEOUT_MS,
  WEBHOOK_REQUEST_TIMEOUT_MS,
  WEBHOOK_SERVER_OPTIONS,
} from './admission-limits.js';
import { checkMutationOptions, type MutationOptions } from './mutate-pod.js';
import { registerMutateRoute } from './mutate-route.js';
import type { RefreshOptions } from './mutate-with-refresh.js';
import { createTlsReloader, readTlsMaterial, type TlsReloader } from './tls-reloader.js';
import { registerWebhookErrorHandling } from './webhook-errors.js';
import type { WebhookMetrics } from './webhook-metrics.js';

/** What the webhook is built from; `main.ts` makes the real ones, tests pass fakes. */
export interface WebhookDeps {
  /** Usually the associations store (file entries, then annotations). */
  readonly resolver: AssociationResolver;
  /** One re-read of the associations on a miss (the store's `reload`); see `mutateWithRefresh`. */
  readonly refresh?: RefreshOptions['refresh'];
  /** Longest wait for `refresh`, milliseconds. Default 1000. */
  readonly refreshBudgetMs?: number;
  readonly metrics: WebhookMetrics;
  readonly logger: Logger;
  /** Milliseconds between checks of the TLS files. Default 5000. */
  readonly tlsPollIntervalMs?: number;
  /**
   * Address the admission server binds. Default `::` (every IPv6 and IPv4 address, so single-stack
   * IPv6 clusters work), falling back to `0.0.0.0` where IPv6 is off.
   */
  readonly listenHost?: string;
  /** Extra readiness conditions. */
  readonly readiness?: readonly ReadinessCheck[];
  /** Called on close, after the servers stop (store polling, watches). */
  readonly onClose?: () => Promise<void> | void;
}

/** The webhook: an HTTPS admission app plus the probe and metrics handlers. */
export interface WebhookApp {
  /** The HTTPS admission app (`inject()` works in tests). */
  readonly admission: FastifyInstance<Server>;
  /** `/healthz`, `/readyz` (`light-my-request` injects into it in tests). */
  readonly probes: RequestHandler;
  /** `/metrics`. */
  readonly metrics: RequestHandler;
  /** Checks the TLS files now; true when a new pair was installed. */
  reloadTls(): Promise<boolean>;
  /** Binds the three servers; resolves to the admission server's port. */
  start(): Promise<number>;
  /** Stops accepting, lets in-flight reviews finish within the grace period, closes everything. */
  close(): Promise<void>;
}

/**
 * Builds the webhook from its typed config. Reads the TLS pair first, so a missing or mismatched
 * certificate fails start-up with a message naming the files.
 */
export async function createWebhookApp(config: WebhookConfig, deps: WebhookDeps): Promise<WebhookApp> {
  const mutation: MutationOptions & RefreshOptions = {
    resolver: deps.resolver,
    audience: config.audience,
    tokenExpirationSeconds: Math.round(config.tokenExpirationMs / 1000),
    credentialsUri: config.credentialsUri.href,
    noProxyAppend: config.noProxyAppend,
    region: config.region,
    refresh: deps.refresh,
    refreshBudgetMs: deps.refreshBudgetMs,
  };
  checkMutationOptions(mutation);
  const initial = await readTlsMaterial(config.tlsCertFile, config.tlsKeyFile);

  const admission = Fastify({
    https: { ...WEBHOOK_SERVER_OPTIONS, cert: initial.cert, key: initial.key },
    loggerInstance: deps.logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: WEBHOOK_BODY_LIMIT_BYTES,
    requestTimeout: WEBHOOK_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: WEBHOOK_KEEP_ALIVE_TIMEOUT_MS,
    return503OnClosing: true,
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance<Server>;
  const asPlain = admission as unknown as FastifyInstance;
  registerWebhookErrorHandling(asPlain, deps.metrics);
  limitAdmissions(admission);
  registerMutateRoute(asPlain, { mutation, metrics: deps.metrics, logger: deps.logger });

  const tls: TlsReloader = createTlsReloader({
    certFile: config.tlsCertFile,
    keyFile: config.tlsKeyFile,
    initial,
    apply: (m) => admission.server.setSecureContext({ cert: m.cert, key: m.key, minVersion: 'TLSv1.2' }),
    logger: deps.logger,
    metrics: deps.metrics,
    pollIntervalMs: deps.tlsPollIntervalMs,
  });

  let listening = false;
  const checks: ReadinessCheck[] = [
    () => (listening ? undefined : 'admission server not listening'),
    ...(deps.readiness ?? []),
  ];
  const probes = createProbeHandler(() => checks);
  const metrics = createMetricsHandler(deps.metrics.registry, (err) =>
    deps.logger.error({ err }, 'metrics could not be read'),
  );
  let servers: HttpServer[] = [];

  return {
    admission,
    probes,
    metrics,
    reloadTls: () => tls.check(),
    async start() {
      servers = await listenProbesAndMetrics(probes, metrics, config);
      await listenAdmission(admission, deps.listenHost, config.port);
      listening = true;
      const address = admission.server.address();
      return typeof address === 'object' && address !== null ? address.port : config.port;
    },
    async close() {
      listening = false;
      tls.close();
      const force = setTimeout(() => admission.server.closeAllConnections(), config.shutdownGraceMs);
      force.unref();
      try {
        await admission.close();
      } finally {
        clearTimeout(force);
      }
      await deps.onClose?.();
      await Promise.all(servers.map(closeServer));
    },
  };
}

async function listenAdmission(app: FastifyInstance<Server>, host: string | undefined, port: number) {
  if (host !== undefined) return app.listen({ host, port });
  try {
    return await app.listen({ host: '::', port });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw error;
    return app.listen({ host: '0.0.0.0', port });
  }
}
