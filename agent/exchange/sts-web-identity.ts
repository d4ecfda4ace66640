import type { AssociationResolver } from '../associations/association.js';
import type { VerifiedToken } from '../auth/token-verifier.js';
import { AgentError } from '../errors.js';
import type { CredentialExchanger, RoleCredentials } from './credential-exchanger.js';
import { callSts, toRoleCredentials } from './sts-call.js';
import { type ChainedStsFactory, chainToTarget, firstSessionSeconds } from './sts-chain.js';
import type { StsApi } from './sts-client.js';
import { randomSuffix, sessionName, sessionPolicy } from './sts-session.js';
import type { UpstreamCallDeps } from './upstream-call.js';

/** Options of {@link createStsWebIdentityExchanger}. */
export interface StsWebIdentityOptions extends UpstreamCallDeps {
  /** STS client; `AssumeRoleWithWebIdentity` is unsigned, so it needs no agent credentials. */
  readonly sts: StsApi;
  /** STS client factory for the chained call into `targetRoleArn`. */
  readonly createChainedSts: ChainedStsFactory;
  readonly associations: AssociationResolver;
  /** `--cluster-name`, for the session name. */
  readonly clusterName: string;
  /** Random part of session names. Default 12 random hex characters. */
  readonly random?: (() => string) | undefined;
}

/**
 * `--exchange sts-web-identity`: the pod's own token calls `sts:AssumeRoleWithWebIdentity` for the
 * associated role (STS checks the token against the role's trust policy, IRSA-style), then chains into
 * `targetRoleArn` when set. Session tags cannot be passed here (they come from the token's claims);
 * the session name, duration and session policy are as in `sts-assume-role`.
 */
export function createStsWebIdentityExchanger(options: StsWebIdentityOptions): CredentialExchanger {
  const { sts, associations, clusterName, createChainedSts } = options;
  if (typeof clusterName !== 'string' || clusterName === '')
    throw new TypeError('"clusterName" must be a non-empty string');
  const random = options.random ?? randomSuffix;
  return {
    api: 'AssumeRoleWithWebIdentity',
    async exchange(token: VerifiedToken, signal?: AbortSignal): Promise<RoleCredentials> {
      const { identity } = token;
      const association = associations.resolve(identity.namespace, identity.serviceAccount);
      if (association === undefined) throw new AgentError('NoAssociation');
      const roleSessionName = sessionName(clusterName, identity.podName, random());
      const policy = association.targetRoleArn === undefined ? sessionPolicy(association) : undefined;
      const seconds = firstSessionSeconds(association);
      const output = await callSts('AssumeRoleWithWebIdentity', options, signal, (s) =>
        sts.assumeRoleWithWebIdentity(
          {
            RoleArn: association.roleArn,
            RoleSessionName: roleSessionName,
            WebIdentityToken: token.token,
            ...(seconds === undefined ? {} : { DurationSeconds: seconds }),
            ...(policy === undefined ? {} : { Policy: policy }),
          },
          s,
        ),
      );
      const first = toRoleCredentials(output, association.roleArn);
      return chainToTarget(first, association, roleSessionName, createChainedSts, options, signal);
    },
  };
}
