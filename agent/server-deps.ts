import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Deps } from './app.js';
import { createTokenAuth } from './auth/create-token-auth.js';
import { createCredentialCache } from './cache/create-credential-cache.js';
import type { Clock } from './clock.js';
import type { ServerConfig } from './config/parse-config.js';
import { createExchanger } from './exchange/create-exchanger.js';
import { createRateLimitAdmission } from './limits/rate-limit-admission.js';
import { createRateLimiter } from './limits/rate-limiter.js';
import { createMetrics } from './metrics/metrics.js';

/** Inputs of {@link createServerDeps} that come from outside the config. */
export interface ServerEnvironment {
  readonly logger: Logger;
  readonly clock: Clock;
  /** The agent's own AWS credentials; default: the SDK's default chain. */
  readonly credentials?: AwsCredentialIdentityProvider | undefined;
  /** `KUBERNETES_SERVICE_HOST` and `_PORT`, for the API-server key source. */
  readonly kubernetes?: {
    readonly serviceHost?: string | undefined;
    readonly servicePort?: string | undefined;
  };
}

/**
 * Builds the real dependencies of `server` from its config: key set and verifier, exchanger, cache,
 * metrics. Loading the keys is started here and finishes in the background (readiness waits for it).
 */
export function createServerDeps(config: ServerConfig, env: ServerEnvironment): Deps {
  const { logger, clock } = env;
  const metrics = createMetrics(new Registry());
  const { verifier, keySet } = createTokenAuth({
    config,
    clock,
    metrics,
    logger,
    kubernetes: env.kubernetes,
  });
  void keySet.load();
  const exchanger = createExchanger(config, { metrics, clock, logger, credentials: env.credentials });
  const cache = createCredentialCache({
    exchanger,
    clock,
    metrics,
    maxEntries: config.maxCacheSize,
    minRemainingMs: config.minRemainingMs,
    logger,
  });
  // --rate-limit 0 turns the per-address limit off (contract §2).
  const admit =
    config.rateLimit > 0
      ? createRateLimitAdmission(createRateLimiter({ ratePerSecond: config.rateLimit, clock }))
      : undefined;
  return {
    verifier,
    cache,
    metrics,
    logger,
    ...(admit === undefined ? {} : { admit }),
    onClose: () => {
      keySet.close();
      exchanger.close();
    },
  };
}
