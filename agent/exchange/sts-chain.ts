import type { Association } from '../associations/association.js';
import type { RoleCredentials } from './credential-exchanger.js';
import { callSts, toRoleCredentials } from './sts-call.js';
import type { StsApi } from './sts-client.js';
import { CHAINED_MAX_SECONDS, INTERMEDIATE_SECONDS, sessionPolicy } from './sts-session.js';
import type { UpstreamCallDeps } from './upstream-call.js';

/** Builds an STS client signing with the given session's credentials (for role chaining). */
export type ChainedStsFactory = (credentials: RoleCredentials) => StsApi;

/**
 * Lengths of the first session: the association's duration, or STS's default when none is given.
 * When a target role follows, the first session is used once, so it asks for the shortest length.
 */
export function firstSessionSeconds(association: Association): number | undefined {
  return association.targetRoleArn === undefined ? association.durationSeconds : INTERMEDIATE_SECONDS;
}

/**
 * With `targetRoleArn`, assumes it with the first session's credentials (role chaining): same
 * session name, the session policy, and a duration capped at STS's 1 h for chained sessions.
 * Transitive session tags of the first session carry over by themselves. Without a target role,
 * returns `first` unchanged.
 */
export async function chainToTarget(
  first: RoleCredentials,
  association: Association,
  roleSessionName: string,
  createChainedSts: ChainedStsFactory,
  deps: UpstreamCallDeps,
  signal: AbortSignal | undefined,
): Promise<RoleCredentials> {
  const target = association.targetRoleArn;
  if (target === undefined) return first;
  const sts = createChainedSts(first);
  try {
    const policy = sessionPolicy(association);
    const output = await callSts('AssumeRole', deps, signal, (s) =>
      sts.assumeRole(
        {
          RoleArn: target,
          RoleSessionName: roleSessionName,
          DurationSeconds: Math.min(association.durationSeconds ?? CHAINED_MAX_SECONDS, CHAINED_MAX_SECONDS),
          ...(policy === undefined ? {} : { Policy: policy }),
        },
        s,
      ),
    );
    return toRoleCredentials(output, target);
  } finally {
    sts.destroy();
  }
}
