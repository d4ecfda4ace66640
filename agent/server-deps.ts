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
import { createPodBoundVerifier } from './pods/pod-bound-verifier.js';

/** Inputs of {@link createServerDeps} that come from outside the config. */
export interface ServerEnvironment {
  readonly logger: Logger;
  readonly clock: Clock;
  /** The agent's own AWS credentials; default: the SDK's default chain. */
  readonly credentials?: AwsCredentialIdentityProvider | undefined;
  /** `KUBERNETES_SERVICE_HOST` and `_PORT`, for the API-server key source and the pod check. */
  readonly kubernetes?: {
    readonly serviceHost?: string | undefined;
    readonly servicePort?: string | undefined;
  };
}

/**
 * Builds the real dependencies of `server` from its config: key set and verifier, exchanger, cache,
 * metrics, and the live-pod check of `--pod-check` wrapped around the verifier. Loading the keys and
 * the pod informer's first list start here and finish in the background (readiness waits for both).
 */
export async function createServerDeps(config: ServerConfig, env: ServerEnvironment): Promise<Deps> {
  const { logger, clock } = env;
  const metrics = createMetrics(new Registry());
  const tokenAuth = createTokenAuth({
    config,
    clock,
    metrics,
    logger,
    kubernetes: env.kubernetes,
  });
  const { keySet } = tokenAuth;
  void keySet.load();
  // STS exchanges: roles from the associations file and/or annotations; an edit drops the cached
  // credentials of the service accounts it affected (issue 5: access ends within 10 s).
  // Imported only for the STS exchanges, like the other optional parts (docs/performance.md).
  const associationSource =
    config.exchange === 'eks-auth' ? undefined : await import('./associations/create-association-source.js');
  const associations = await associationSource?.createAssociationSource(config, {
    clock,
    metrics,
    logger,
    kubeConfig: async () =>
      (await import('./pods/kube-config.js')).loadKubeConfig({
        kubeconfig: config.kubeconfig,
        ...env.kubernetes,
      }),
    onAffected: (affected) => {
      const dropped = cache.drop((identity) => affected(identity.namespace, identity.serviceAccount));
      if (dropped > 0) logger.info({ dropped }, 'associations changed: cached credentials dropped');
    },
  });
  const exchanger = createExchanger(config, {
    metrics,
    clock,
    logger,
    credentials: env.credentials,
    associations: associations?.resolver,
  });
  const cache = createCredentialCache({
    exchanger,
    clock,
    metrics,
    maxEntries: config.maxCacheSize,
    minRemainingMs: config.minRemainingMs,
    logger,
  });
  // A deleted pod's credentials go at once and, being gone, are never refreshed (security.md threat 4).
  // Imported only when the check is on: the Kubernetes client takes ~0.5 s to load (docs/performance.md).
  const pods =
    config.podCheck === 'off'
      ? undefined
      : await Promise.all([import('./pods/create-pod-check.js'), import('./pods/kube-config.js')]);
  const podCheck = pods?.[0].createPodCheck({
    config,
    kubeConfig: () => pods[1].loadKubeConfig({ kubeconfig: config.kubeconfig, ...env.kubernetes }),
    clock,
    metrics,
    logger,
    onPodGone: (podUid) => {
      const dropped = cache.drop((identity) => identity.podUid === podUid);
      if (dropped > 0) logger.info({ podUid, dropped }, 'pod gone: cached credentials dropped');
    },
  });
  const verifier =
    podCheck === undefined ? tokenAuth.verifier : createPodBoundVerifier(tokenAuth.verifier, podCheck);
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
    readiness: [
      ...(podCheck === undefined ? [] : [() => podCheck.notReadyReason()]),
      ...(associations === undefined ? [] : [() => associations.notReadyReason()]),
    ],
    onClose: async () => {
      keySet.close();
      exchanger.close();
      await podCheck?.close();
      await associations?.close();
    },
  };
}
