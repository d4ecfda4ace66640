import type { KubeConfig } from '@kubernetes/client-node';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Deps } from './app.js';
import { createTokenAuth } from './auth/create-token-auth.js';
import type { PodIdentity } from './auth/token-verifier.js';
import { createCredentialCache } from './cache/create-credential-cache.js';
import type { CredentialCache } from './cache/credential-cache.js';
import type { Clock } from './clock.js';
import type { ServerConfig } from './config/parse-config.js';
import { createExchanger } from './exchange/create-exchanger.js';
import { createUpstreamHealth } from './exchange/upstream-health.js';
import { createMissGuard } from './limits/miss-guard.js';
import { createRateLimitAdmission } from './limits/rate-limit-admission.js';
import { createRateLimiter } from './limits/rate-limiter.js';
import { createMetrics } from './metrics/metrics.js';
import { registerRuntimeMetrics } from './metrics/runtime-metrics.js';
import { upstreamRoute } from './upstream/upstream-route.js';

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
 * metrics, and the live-pod check of `--pod-check`. Loading the keys and
 * the pod informer's first list start here and finish in the background (readiness waits for both).
 */
export async function createServerDeps(config: ServerConfig, env: ServerEnvironment): Promise<Deps> {
  const { logger, clock } = env;
  // Allowed by --allow-plain-http (else a start-up problem): one warning per plain-http URL.
  for (const flag of config.plainHttp)
    logger.warn(
      { flag },
      'plain-http URL: tokens, credentials or signing keys cross the network unencrypted (use only for local stand-ins)',
    );
  const metrics = createMetrics(new Registry());
  registerRuntimeMetrics(metrics.registry);
  // Proxies, NO_PROXY and AWS_CA_BUNDLE of the calls to AWS and to a remote key set.
  const route = upstreamRoute(config.upstream);
  const tokenAuth = createTokenAuth({
    config,
    clock,
    metrics,
    logger,
    kubernetes: env.kubernetes,
    route,
  });
  const { keySet } = tokenAuth;
  void keySet.load();
  // One kubeconfig for every Kubernetes consumer (annotation roles, pod check), loaded on first use;
  // the client is imported only when one of them is on: it takes ~0.5 s to load (docs/performance.md).
  const kube =
    config.podCheck !== 'off' || (config.exchange !== 'eks-auth' && config.roleSource !== 'file')
      ? await import('./kube/kube-config.js')
      : undefined;
  let kubeConfig: KubeConfig | undefined;
  const loadKubeConfig = (): KubeConfig => {
    if (kube === undefined) throw new Error('the Kubernetes client was not loaded for this configuration');
    kubeConfig ??= kube.loadKubeConfig({ kubeconfig: config.kubeconfig, ...env.kubernetes });
    return kubeConfig;
  };
  // The cache is built after the exchanger, which needs the associations: these callbacks only fire
  // after I/O, by which time it exists; before that nothing is cached, so there is nothing to drop.
  let cacheRef: CredentialCache | undefined;
  const dropCached = (why: string, predicate: (identity: PodIdentity) => boolean): void => {
    const dropped = cacheRef?.drop(predicate) ?? 0;
    if (dropped > 0) logger.info({ dropped }, `${why}: cached credentials dropped`);
  };

  // STS exchanges: roles from the associations file and/or annotations; an edit drops the cached
  // credentials of the service accounts it affected (so a removed or changed association ends access within seconds).
  const associationSource =
    config.exchange === 'eks-auth' ? undefined : await import('./associations/create-association-source.js');
  const associations = await associationSource?.createAssociationSource(config, {
    clock,
    metrics,
    logger,
    kubeConfig: loadKubeConfig,
    onAffected: (affected) =>
      dropCached('associations changed', (identity) => affected(identity.namespace, identity.serviceAccount)),
  });
  // EKS Auth answers that fail every pod (cluster unknown, node credentials): readiness and a gauge.
  const health = config.exchange === 'eks-auth' ? createUpstreamHealth(metrics.upstreamProblem) : undefined;
  const exchanger = createExchanger(config, {
    metrics,
    clock,
    logger,
    credentials: env.credentials,
    associations: associations?.resolver,
    route,
    health,
  });
  const cache = createCredentialCache({
    exchanger,
    clock,
    metrics,
    maxEntries: config.maxCacheSize,
    minRemainingMs: config.minRemainingMs,
    logger,
    // A pod without an association, asking in a loop, must not become one upstream call per request.
    missGuard: createMissGuard({
      clock,
      refusalTtlMs: config.refusalMemoryMs,
      missesPerSecond: config.upstreamMissRate,
    }),
  });
  cacheRef = cache;
  // A deleted pod's credentials go at once and, being gone, are never refreshed (docs/security.md threat 4).
  const podCheck =
    config.podCheck === 'off'
      ? undefined
      : (await import('./pods/create-pod-check.js')).createPodCheck({
          config,
          kubeConfig: loadKubeConfig,
          clock,
          metrics,
          logger,
          onPodGone: (podUid) => dropCached('pod gone', (identity) => identity.podUid === podUid),
        });
  // --rate-limit 0 turns the per-address limit off (docs/configuration.md).
  const admit =
    config.rateLimit > 0
      ? createRateLimitAdmission(createRateLimiter({ ratePerSecond: config.rateLimit, clock }))
      : undefined;
  return {
    verifier: tokenAuth.verifier,
    ...(podCheck === undefined ? {} : { podCheck }),
    cache,
    metrics,
    logger,
    ...(admit === undefined ? {} : { admit }),
    readiness: [
      ...(podCheck === undefined ? [] : [() => podCheck.notReadyReason()]),
      ...(associations === undefined ? [] : [() => associations.notReadyReason()]),
      ...(health === undefined ? [] : [() => health.notReadyReason()]),
    ],
    onClose: async () => {
      keySet.close();
      exchanger.close();
      await podCheck?.close();
      await associations?.close();
    },
  };
}
