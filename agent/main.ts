#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { createApp, type Deps } from './app.js';
import { systemClock } from './clock.js';
import { formatHelp } from './config/help.js';
import { type Config, parseConfig, type ServerConfig, type WebhookConfig } from './config/parse-config.js';
import { ConfigError } from './errors.js';
import { createLogger } from './log/logger.js';
import type { WebhookApp } from './webhook/webhook-app.js';

// Each command imports what it alone needs (below, with import()): the webhook's Kubernetes client
// and the AWS SDKs take seconds to load and would delay the agent's readiness (docs/performance.md).

/** Exit code of an invalid command line (contract §2). */
const EXIT_USAGE = 2;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function runServer(config: ServerConfig): Promise<void> {
  // Asynchronous stdout: one audit line per issuance would otherwise be one blocking write per
  // request on the hit path; pino flushes what is buffered when the process exits.
  const logger = createLogger(config.logLevel, pino.destination({ dest: 1, sync: false }));
  const { createServerDeps } = await import('./server-deps.js');
  let deps: Deps;
  try {
    deps = await createServerDeps(config, {
      logger,
      clock: systemClock,
      kubernetes: {
        serviceHost: process.env.KUBERNETES_SERVICE_HOST,
        servicePort: process.env.KUBERNETES_SERVICE_PORT,
      },
    });
  } catch (err) {
    process.stderr.write(`pod-identity-agent: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(EXIT_USAGE);
  }
  const agent = createApp(config, deps);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    agent.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  try {
    await agent.start();
  } catch (err) {
    logger.fatal({ err }, 'cannot start');
    process.exit(1);
  }
  logger.info(
    { version: version(), exchange: config.exchange, bindHosts: config.bindHosts, port: config.port },
    'agent started',
  );
}

async function runWebhook(config: WebhookConfig): Promise<void> {
  const logger = createLogger(config.logLevel);
  let webhook: WebhookApp;
  try {
    const [{ createWebhookApp }, { createWebhookDeps }] = await Promise.all([
      import('./webhook/webhook-app.js'),
      import('./webhook/webhook-deps.js'),
    ]);
    const kubernetes = {
      serviceHost: process.env.KUBERNETES_SERVICE_HOST,
      servicePort: process.env.KUBERNETES_SERVICE_PORT,
    };
    webhook = await createWebhookApp(
      config,
      await createWebhookDeps(config, { logger, clock: systemClock, kubernetes }),
    );
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`pod-identity-agent: ${err.problems.join('; ')}\n`);
      process.exit(EXIT_USAGE);
    }
    logger.fatal({ err }, 'cannot start');
    process.exit(1);
  }
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down: draining in-flight admission reviews');
    webhook.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  try {
    await webhook.start();
  } catch (err) {
    logger.fatal({ err }, 'cannot start');
    process.exit(1);
  }
  logger.info({ version: version(), port: config.port }, 'webhook started');
}

async function main(argv: readonly string[]): Promise<void> {
  let config: Config;
  try {
    config = parseConfig(argv, process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`pod-identity-agent: ${err.problems.join('; ')} (see --help)\n`);
    process.exit(EXIT_USAGE);
  }
  switch (config.command) {
    case 'help':
      process.stdout.write(formatHelp(config.topic));
      return;
    case 'version':
      process.stdout.write(`pod-identity-agent ${version()}\n`);
      return;
    case 'init': {
      const { runInit } = await import('./init/run-init.js');
      process.exitCode = await runInit(config, { logger: createLogger('info') });
      return;
    }
    case 'server':
      return runServer(config);
    case 'webhook':
      return runWebhook(config);
  }
}

await main(process.argv.slice(2));
