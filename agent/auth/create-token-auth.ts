import type { Clock } from '../clock.js';
import type { ServerConfig } from '../config/parse-config.js';
import type { Metrics } from '../metrics/metrics.js';
import { createUpstreamAgents, type UpstreamRoute } from '../upstream/upstream-agents.js';
import { createJwtVerifier } from './jwt-verifier.js';
import { createKeySet, type KeySet, type KeySetLogger } from './key-set.js';
import { createKeyFetcher } from './key-sources.js';
import type { KubernetesKeyFetcherOptions } from './kubernetes-key-source.js';
import type { TokenVerifier } from './token-verifier.js';

/** Options of {@link createTokenAuth}. */
export interface TokenAuthOptions {
  readonly config: Pick<ServerConfig, 'keySource' | 'issuer' | 'audience' | 'nodeName'>;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly logger?: KeySetLogger | undefined;
  /**
   * For the Kubernetes key source: `serviceHost`/`servicePort` from `KUBERNETES_SERVICE_HOST`/`_PORT`
   * (main reads the environment), or test overrides. The issuer is discovered when `config.issuer` is unset.
   */
  readonly kubernetes?: KubernetesKeyFetcherOptions | undefined;
  /** Deadline of each key-set request, milliseconds. Default 5000. */
  readonly fetchTimeoutMs?: number | undefined;
  /** Proxies and CA bundle of a remote key set (`--jwks-uri`, `--issuer`); not used in-cluster. */
  readonly route?: UpstreamRoute | undefined;
}

/** The verifier and the key set behind it (call `keySet.load()` at start and `keySet.close()` at shutdown). */
export interface TokenAuth {
  readonly verifier: TokenVerifier;
  readonly keySet: KeySet;
}

/**
 * Builds the token verifier of a server configuration: the key fetcher of `config.keySource`, a
 * refreshing key set over it, and the JWT verifier with the configured issuer, audience and node.
 * Throws when the key source cannot work here (e.g. the Kubernetes source outside a cluster).
 */
export function createTokenAuth(options: TokenAuthOptions): TokenAuth {
  const { config, clock, metrics, logger } = options;
  const agents = options.route === undefined ? undefined : createUpstreamAgents(options.route);
  const fetcher = createKeyFetcher(config.keySource, {
    timeoutMs: options.fetchTimeoutMs,
    ...(agents === undefined ? {} : { agentFor: (url: URL) => agents.agentFor(url) }),
    kubernetes: { discoverIssuer: config.issuer === undefined, ...options.kubernetes },
  });
  const keySet = createKeySet({ fetcher, clock, metrics, logger });
  const verifier = createJwtVerifier({
    keySet,
    issuer: config.issuer,
    audience: config.audience,
    clock,
    metrics,
    nodeName: config.nodeName,
  });
  return { verifier, keySet };
}
