#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { type Logger, pino } from 'pino';
import { createApp } from './app.js';
import { systemClock } from './clock.js';
import { formatHelp } from './config/help.js';
import { type Config, parseConfig, type ServerConfig, type WebhookConfig } from './config/parse-config.js';
import { ConfigError } from './errors.js';
import { createDroppedLinesReport } from './log/dropped-lines.js';
import { createLogger } from './log/logger.js';
import { createTurnBatchedStream } from './log/turn-batched-stream.js';
import { packageVersion } from './package-version.js';

// Each command imports what it alone needs (below, with import()): the webhook's Kubernetes client
// and the AWS SDKs take seconds to load and would delay the agent's readiness (docs/performance.md).

/** Exit code of an invalid command line or configuration. */
const EXIT_USAGE = 2;

/** Prints every start-up configuration problem, one line each, and exits 2 before anything is served. */
function exitUsage(err: unknown): never {
  const problems =
    err instanceof ConfigError ? err.problems : [err instanceof Error ? err.message : String(err)];
  process.stderr.write(problems.map((p) => `pod-identity-agent: ${p}\n`).join(''));
  process.exit(EXIT_USAGE);
}

/** Something `serve` can start and drain. */
interface Service {
  start(): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Starts `service`, and on the first SIGTERM or SIGINT stops accepting, drains in-flight requests and
 * exits 0 (docs/configuration.md). A failure to start is fatal (exit 1).
 */
async function serve(
  service: Service,
  logger: Logger,
  started: Record<string, unknown>,
  what: string,
): Promise<void> {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `shutting down: draining in-flight ${what}`);
    service.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    await service.start();
  } catch (err) {
    logger.fatal({ err }, 'cannot start');
    process.exit(1);
  }
  logger.info({ version: packageVersion(), ...started }, 'started');
}

function kubernetesEnv(): { serviceHost: string | undefined; servicePort: string | undefined } {
  return {
    serviceHost: process.env.KUBERNETES_SERVICE_HOST,
    servicePort: process.env.KUBERNETES_SERVICE_PORT,
  };
}

async function runServer(config: ServerConfig): Promise<void> {
  // stdout written once per event-loop turn: one audit line per issuance would otherwise be one
  // write per request on the hit path (docs/performance.md). What is buffered is written on exit.
  // Lines dropped past the buffer's bound are counted and said once, from when the metrics exist.
  let reportDropped = (_lines: number): void => {};
  const stdout = createTurnBatchedStream(pino.destination({ dest: 1, sync: true }), {
    onDropped: (lines) => reportDropped(lines),
  });
  process.on('exit', () => stdout.flush());
  const logger = createLogger(config.logLevel, stdout, systemClock);
  const { createServerDeps } = await import('./server-deps.js');
  const deps = await createServerDeps(config, {
    logger,
    clock: systemClock,
    kubernetes: kubernetesEnv(),
  }).catch(exitUsage);
  reportDropped = createDroppedLinesReport(logger, deps.metrics.logLinesDropped);
  const started = {
    command: 'server',
    exchange: config.exchange,
    bindHosts: config.bindHosts,
    port: config.port,
  };
  await serve(createApp(config, deps), logger, started, 'requests');
}

async function runWebhook(config: WebhookConfig): Promise<void> {
  const logger = createLogger(config.logLevel);
  const [{ createWebhookApp }, { createWebhookDeps }] = await Promise.all([
    import('./webhook/webhook-app.js'),
    import('./webhook/webhook-deps.js'),
  ]);
  const webhook = await createWebhookDeps(config, { logger, clock: systemClock, kubernetes: kubernetesEnv() })
    .then((deps) => createWebhookApp(config, deps))
    .catch(exitUsage);
  await serve(webhook, logger, { command: 'webhook', port: config.port }, 'admission reviews');
}

async function main(argv: readonly string[]): Promise<void> {
  let config: Config;
  try {
    config = parseConfig(argv, process.env, { readText: (path) => readFileSync(path, 'utf8') });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    exitUsage(new ConfigError([...err.problems.slice(0, -1), `${err.problems.at(-1)} (see --help)`]));
  }
  switch (config.command) {
    case 'help':
      process.stdout.write(formatHelp(config.topic));
      return;
    case 'version':
      process.stdout.write(`pod-identity-agent ${packageVersion()}\n`);
      return;
    case 'init': {
      const [{ runInit }, { createTextLog }] = await Promise.all([
        import('./init/run-init.js'),
        import('./init/text-log.js'),
      ]);
      process.exitCode = await runInit(config, { logger: createTextLog(process.stdout, process.stderr) });
      return;
    }
    case 'server':
      return runServer(config);
    case 'webhook':
      return runWebhook(config);
  }
}

await main(process.argv.slice(2));
