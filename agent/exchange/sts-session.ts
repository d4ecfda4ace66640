import { randomBytes } from 'node:crypto';
import type { Tag } from '@aws-sdk/client-sts';
import type { Association } from '../associations/association.js';
import type { PodIdentity } from '../auth/token-verifier.js';

/** STS's longest RoleSessionName. */
export const MAX_SESSION_NAME = 64;
/** Longest session after role chaining, seconds (STS caps chained sessions at 1 h). */
export const CHAINED_MAX_SECONDS = 3600;
/** Session length of the intermediate session of a chain, seconds: used once, so the shortest STS allows. */
export const INTERMEDIATE_SECONDS = 900;

/** Characters STS allows in a session name: `[\w+=,.@-]`. */
const NOT_ALLOWED = /[^\w+=,.@-]/g;

/** 12 random hex characters: unique per session, short enough to leave room for the pod name. */
export function randomSuffix(): string {
  return randomBytes(6).toString('hex');
}

/**
 * `eks-<cluster>-<pod>-<random>` (docs/any-cluster.md), with characters STS refuses replaced by `-` and the
 * cluster and pod part cut so that the whole stays within 64 characters and the random part survives.
 */
export function sessionName(clusterName: string, podName: string, random: string = randomSuffix()): string {
  const tail = `-${random}`.replace(NOT_ALLOWED, '-').slice(0, MAX_SESSION_NAME - 4);
  const head = `eks-${clusterName}-${podName}`.replace(NOT_ALLOWED, '-');
  return head.slice(0, MAX_SESSION_NAME - tail.length) + tail;
}

/** Session tags of `sts:AssumeRole` and which of them are transitive. */
export interface SessionTags {
  readonly Tags: Tag[];
  readonly TransitiveTagKeys: string[];
}

/**
 * The six standard tags EKS sets (`eks-cluster-arn` only with a cluster ARN), then the association's
 * custom tags; all transitive so they survive role chaining into `targetRoleArn`. Undefined when the
 * association disables session tags.
 */
export function sessionTags(
  identity: PodIdentity,
  association: Association,
  cluster: { readonly name: string; readonly arn?: string | undefined },
): SessionTags | undefined {
  if (association.disableSessionTags === true) return undefined;
  const entries: [string, string][] = [
    ['eks-cluster-name', cluster.name],
    ...(cluster.arn === undefined ? [] : ([['eks-cluster-arn', cluster.arn]] as [string, string][])),
    ['kubernetes-namespace', identity.namespace],
    ['kubernetes-service-account', identity.serviceAccount],
    ['kubernetes-pod-name', identity.podName],
    ['kubernetes-pod-uid', identity.podUid],
    ...Object.entries(association.sessionTags ?? {}),
  ];
  return {
    Tags: entries.map(([Key, Value]) => ({ Key, Value })),
    TransitiveTagKeys: entries.map(([key]) => key),
  };
}

/** The inline session policy as STS takes it, or undefined. */
export function sessionPolicy(association: Association): string | undefined {
  return association.sessionPolicy === undefined ? undefined : JSON.stringify(association.sessionPolicy);
}
