import type { VerifiedToken } from '../auth/token-verifier.js';

/** Temporary role credentials, as the agent holds them. */
export interface RoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Account of the assumed role, from its ARN. */
  readonly accountId: string;
  /** ARN of the role whose session this is (the target role when chained). */
  readonly roleArn: string;
  /** Expiry, milliseconds since the epoch. */
  readonly expiration: number;
}

/**
 * Role: trades a verified pod token for role credentials (EKS Auth or STS). Throws `AgentError`:
 * `NoAssociation`, `AccessDenied`, `Throttled` (retryable), `UpstreamUnavailable` (retryable).
 */
export interface CredentialExchanger {
  /** Upstream API name used in metrics and logs, e.g. `AssumeRoleForPodIdentity`. */
  readonly api: string;
  exchange(token: VerifiedToken, signal?: AbortSignal): Promise<RoleCredentials>;
}
