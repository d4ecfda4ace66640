import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { AssociationResolver } from '../associations/association.js';
import type { Clock } from '../clock.js';
import type { ServerConfig } from '../config/parse-config.js';
import type { Metrics } from '../metrics/metrics.js';
import type { UpstreamRoute } from '../upstream/upstream-agents.js';
import type { CredentialExchanger } from './credential-exchanger.js';
import { EksAuthClient } from './eks-auth-client.js';
import { createEksAuthExchanger, type EksAuthSender } from './eks-auth-exchanger.js';
import type { RetryOptions } from './retry.js';
import { createStsAssumeRoleExchanger } from './sts-assume-role.js';
import type { ChainedStsFactory } from './sts-chain.js';
import { createStsApi } from './sts-client.js';
import { createStsWebIdentityExchanger } from './sts-web-identity.js';
import type { UpstreamCallDeps } from './upstream-call.js';
import type { UpstreamHealth } from './upstream-health.js';

/** What {@link createExchanger} builds from besides the config. */
export interface ExchangerDeps {
  readonly metrics: Pick<Metrics, 'upstreamRequests' | 'upstreamDuration'>;
  readonly clock: Clock;
  readonly logger?: UpstreamCallDeps['logger'];
  /** Required for the `sts-*` exchanges: the associations (file, annotations, or both combined). */
  readonly associations?: AssociationResolver | undefined;
  /** The agent's own AWS credentials (EKS Auth, sts-assume-role). Default: the SDK's default chain. */
  readonly credentials?: AwsCredentialIdentityProvider | undefined;
  /** Replaces the EKS Auth client (tests). */
  readonly eksAuthClient?: EksAuthSender | undefined;
  /** Retry policy of upstream calls. Defaults: see `withRetry`. */
  readonly retry?: Omit<RetryOptions, 'signal'> | undefined;
  /** Proxies and CA bundle of the calls (`upstreamRoute(config.upstream)`). Default: direct. */
  readonly route?: UpstreamRoute | undefined;
  /** Told of node-wide EKS Auth problems (readiness, `pod_identity_upstream_problem`). */
  readonly health?: UpstreamHealth | undefined;
}

/** An exchanger plus the clean-up of the clients it holds. */
export interface OwnedExchanger extends CredentialExchanger {
  /** Closes idle upstream connections. */
  close(): void;
}

/**
 * Builds the exchanger `--exchange` names: EKS Auth (`--endpoint`), `sts:AssumeRole` with the agent's
 * credentials, or `sts:AssumeRoleWithWebIdentity` with the pod's token (both at `--sts-endpoint` or
 * the regional STS endpoint, roles from `deps.associations`).
 */
export function createExchanger(config: ServerConfig, deps: ExchangerDeps): OwnedExchanger {
  const { metrics, clock, logger, retry } = deps;
  if (config.exchange === 'eks-auth') {
    const owned =
      deps.eksAuthClient === undefined
        ? new EksAuthClient({
            region: config.region,
            endpoint: config.endpoint,
            credentials: deps.credentials,
            useFipsEndpoint: config.upstream.useFipsEndpoint,
            route: deps.route,
          })
        : undefined;
    const exchanger = createEksAuthExchanger({
      client: deps.eksAuthClient ?? (owned as EksAuthClient),
      clusterName: config.clusterName,
      metrics,
      clock,
      retry,
      logger,
      health: deps.health,
    });
    return { api: exchanger.api, exchange: exchanger.exchange, close: () => owned?.destroy() };
  }

  const associations = deps.associations;
  if (associations === undefined)
    throw new TypeError(`"associations" is required for --exchange ${config.exchange}`);
  const region = config.region;
  const endpoint = config.stsEndpoint;
  const network = { useFipsEndpoint: config.upstream.useFipsEndpoint, route: deps.route };
  const createChainedSts: ChainedStsFactory = (c) =>
    createStsApi({
      region,
      endpoint,
      ...network,
      credentials: {
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        sessionToken: c.sessionToken,
      },
    });
  const common = {
    metrics,
    clock,
    logger,
    retry,
    associations,
    createChainedSts,
    clusterName: config.clusterName,
  };
  if (config.exchange === 'sts-assume-role') {
    const sts = createStsApi({ region, endpoint, ...network, credentials: deps.credentials });
    const exchanger = createStsAssumeRoleExchanger({ ...common, sts, clusterArn: config.clusterArn });
    return { api: exchanger.api, exchange: exchanger.exchange, close: () => sts.destroy() };
  }
  // AssumeRoleWithWebIdentity is unsigned: no agent credentials are looked up.
  const sts = createStsApi({ region, endpoint, ...network });
  const exchanger = createStsWebIdentityExchanger({ ...common, sts });
  return { api: exchanger.api, exchange: exchanger.exchange, close: () => sts.destroy() };
}
