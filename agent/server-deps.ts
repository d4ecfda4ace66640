import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Deps } from './app.js';
import { createJwtVerifier } from './auth/jwt-verifier.js';
import { createKeyFetcher } from './auth/key-sources.js';
import { createKeySet } from './auth/key-set.js';
import { createCredentialCache } from './cache/create-credential-cache.js';
import type { Clock } from './clock.js';
import type { ServerConfig } from './config/parse-config.js';
import { createExchanger } from './exchange/create-exchanger.js';
import { createMetrics } from './metrics/metrics.js';

/** Inputs of {@link createServerDeps} that come from outside the config. */
export interface ServerEnvironment {
  readonly logger: Logger;
  readonly clock: Clock;
  /** The agent's own AWS credentials; default: the SDK's default chain. */
  readonly credentials?: AwsCredentialIdentityProvider | undefined;
}

/**
 * Builds the real dependencies of `server` from its config: key set and verifier, exchanger, cache,
 * metrics. Loading the keys is started here and finishes in the background (readiness waits for it).
 */
export function createServerDeps(config: ServerConfig, env: ServerEnvironment): Deps {
  const { logger, clock } = env;
  const metrics = createMetrics(new Registry());
  const keySet = createKeySet({ fetcher: createKeyFetcher(config.keySource), clock, metrics, logger });
  void keySet.load();
  const verifier = createJwtVerifier({
    keySet,
    issuer: config.issuer,
    audience: config.audience,
    clock,
    metrics,
    nodeName: config.nodeName,
  });
  const exchanger = createExchanger(config, { metrics, clock, logger, credentials: env.credentials });
  const cache = createCredentialCache({
    exchanger,
    clock,
    metrics,
    maxEntries: config.maxCacheSize,
    minRemainingMs: config.minRemainingMs,
    logger,
  });
  return {
    verifier,
    cache,
    metrics,
    logger,
    onClose: () => {
      keySet.close();
      exchanger.close();
    },
  };
}
