import type { AssociationResolver } from '../associations/association.js';
import type { VerifiedToken } from '../auth/token-verifier.js';
import { AgentError } from '../errors.js';
import type { CredentialExchanger, RoleCredentials } from './credential-exchanger.js';
import { callSts, toRoleCredentials } from './sts-call.js';
import { type ChainedStsFactory, chainToTarget, firstSessionSeconds } from './sts-chain.js';
import type { StsApi } from './sts-client.js';
import { randomSuffix, sessionName, sessionPolicy, sessionTags } from './sts-session.js';
import type { UpstreamCallDeps } from './upstream-call.js';

/** Options of {@link createStsAssumeRoleExchanger}. */
export interface StsAssumeRoleOptions extends UpstreamCallDeps {
  /** STS client signing with the agent's own credentials (default chain). */
  readonly sts: StsApi;
  /** STS client factory for the chained call into `targetRoleArn`. */
  readonly createChainedSts: ChainedStsFactory;
  readonly associations: AssociationResolver;
  /** `--cluster-name`: session name and the `eks-cluster-name` tag. */
  readonly clusterName: string;
  /** `--cluster-arn`: the `eks-cluster-arn` tag when given. */
  readonly clusterArn?: string | undefined;
  /** Random part of session names. Default 12 random hex characters. */
  readonly random?: (() => string) | undefined;
}

/**
 * `--exchange sts-assume-role`: the agent's credentials call `sts:AssumeRole` for the role the
 * associations give the pod's service account, with the session name and tags of docs/any-cluster.md, the
 * association's duration and session policy, then chain into `targetRoleArn` when set. A service
 * account without association fails with `NoAssociation` before any STS call.
 */
export function createStsAssumeRoleExchanger(options: StsAssumeRoleOptions): CredentialExchanger {
  const { sts, associations, clusterName, clusterArn, createChainedSts } = options;
  if (typeof clusterName !== 'string' || clusterName === '')
    throw new TypeError('"clusterName" must be a non-empty string');
  const random = options.random ?? randomSuffix;
  return {
    api: 'AssumeRole',
    async exchange(token: VerifiedToken, signal?: AbortSignal): Promise<RoleCredentials> {
      const { identity } = token;
      const association = associations.resolve(identity.namespace, identity.serviceAccount);
      if (association === undefined) throw new AgentError('NoAssociation');
      const roleSessionName = sessionName(clusterName, identity.podName, random());
      const tags = sessionTags(identity, association, { name: clusterName, arn: clusterArn });
      const chained = association.targetRoleArn !== undefined;
      const policy = chained ? undefined : sessionPolicy(association);
      const seconds = firstSessionSeconds(association);
      const output = await callSts('AssumeRole', options, signal, (s) =>
        sts.assumeRole(
          {
            RoleArn: association.roleArn,
            RoleSessionName: roleSessionName,
            ...(tags ?? {}),
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
