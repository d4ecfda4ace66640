import type {
  AssumeRoleCommandInput,
  AssumeRoleCommandOutput,
  AssumeRoleWithWebIdentityCommandInput,
  AssumeRoleWithWebIdentityCommandOutput,
  STSClient,
  STSClientConfig,
} from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { checkInteger, checkRegion } from '../checks/option-checks.js';
import { withDeadline } from '../deadline.js';
import { createUpstreamAgents, type UpstreamRoute } from '../upstream/upstream-agents.js';

/** Default deadline of one STS request, milliseconds (connect to last byte). */
export const DEFAULT_STS_TIMEOUT_MS = 5000;

/** The two STS operations the exchanges use. One HTTP request per call: retries live in the caller. */
export interface StsApi {
  assumeRole(input: AssumeRoleCommandInput, signal?: AbortSignal): Promise<AssumeRoleCommandOutput>;
  assumeRoleWithWebIdentity(
    input: AssumeRoleWithWebIdentityCommandInput,
    signal?: AbortSignal,
  ): Promise<AssumeRoleWithWebIdentityCommandOutput>;
  /** Closes idle connections. */
  destroy(): void;
}

/** Options of {@link createStsApi}. */
export interface StsApiOptions {
  /** AWS region; also picks the regional endpoint `https://sts.{region}.amazonaws.com`. */
  readonly region: string;
  /** Overrides the endpoint (`--sts-endpoint`). */
  readonly endpoint?: URL | undefined;
  /** Signing credentials. Default: the SDK's default chain. Unused by `AssumeRoleWithWebIdentity`. */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  /** Deadline of one request, milliseconds. Default {@link DEFAULT_STS_TIMEOUT_MS}. */
  readonly requestTimeoutMs?: number | undefined;
  /** The FIPS endpoint `https://sts-fips.{region}.amazonaws.com` unless `endpoint` is set. */
  readonly useFipsEndpoint?: boolean | undefined;
  /** Proxies (`HTTPS_PROXY`, `NO_PROXY`) and CA bundle of the calls. Default: direct, system roots. */
  readonly route?: UpstreamRoute | undefined;
}

/** Builds an {@link StsApi} on `@aws-sdk/client-sts` with SDK retries off (the exchange retries). */
export function createStsApi(options: StsApiOptions): StsApi {
  checkRegion(options.region);
  const timeout = checkInteger('requestTimeoutMs', options.requestTimeoutMs ?? DEFAULT_STS_TIMEOUT_MS);
  const fips = options.useFipsEndpoint === true;
  // The one host this client calls decides the route (proxy or NO_PROXY) once, here.
  const target =
    options.endpoint ?? new URL(`https://sts${fips ? '-fips' : ''}.${options.region}.amazonaws.com`);
  const agents = options.route === undefined ? undefined : createUpstreamAgents(options.route);
  const agent = agents?.agentFor(target);
  const config: STSClientConfig = {
    region: options.region,
    maxAttempts: 1,
    // The regional endpoint, never the global one (STS's own recommendation; works with RegionDisabled checks).
    useGlobalEndpoint: false,
    useFipsEndpoint: fips && options.endpoint === undefined,
    requestHandler: {
      connectionTimeout: timeout,
      requestTimeout: timeout,
      ...(agent === undefined
        ? {}
        : target.protocol === 'https:'
          ? { httpsAgent: agent }
          : { httpAgent: agent }),
    },
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint.href }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  };
  // The SDK is loaded on the first call, not at start-up: it costs ~0.1-0.5 s to import and the
  // eks-auth exchange never needs it (docs/performance.md, start-up).
  let loaded: Promise<{ sdk: typeof import('@aws-sdk/client-sts'); client: STSClient }> | undefined;
  const load = () =>
    (loaded ??= import('@aws-sdk/client-sts').then((sdk) => ({ sdk, client: new sdk.STSClient(config) })));
  return {
    async assumeRole(input, signal) {
      const { sdk, client } = await load();
      return withDeadline(timeout, signal, (abortSignal) =>
        client.send(new sdk.AssumeRoleCommand(input), { abortSignal }),
      );
    },
    async assumeRoleWithWebIdentity(input, signal) {
      const { sdk, client } = await load();
      return withDeadline(timeout, signal, (abortSignal) =>
        client.send(new sdk.AssumeRoleWithWebIdentityCommand(input), { abortSignal }),
      );
    },
    destroy: () => {
      void loaded?.then(({ client }) => client.destroy());
      agents?.destroy();
    },
  };
}
