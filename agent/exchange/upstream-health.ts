import type { Gauge } from 'prom-client';

/**
 * Upstream answers that mean every pod on the node will fail, not just the one asking: the cluster
 * name or region is one EKS Auth does not know, or the node's own AWS credentials are missing or
 * refused. Per-pod causes (a service account without association, a bad token) are not here.
 */
export type UpstreamProblem = 'cluster-not-found' | 'node-credentials-missing' | 'node-credentials-refused';

/** Every {@link UpstreamProblem}, in the order readiness reports them. */
export const UPSTREAM_PROBLEMS: readonly UpstreamProblem[] = Object.freeze([
  'cluster-not-found',
  'node-credentials-missing',
  'node-credentials-refused',
]);

const TEXT: Readonly<Record<UpstreamProblem, string>> = {
  'cluster-not-found': 'EKS Auth does not know this cluster: check --cluster-name and --region',
  'node-credentials-missing': 'the node has no AWS credentials for the agent (instance profile, IMDS)',
  'node-credentials-refused':
    "EKS Auth refused the node's AWS credentials: the node role needs eks-auth:AssumeRoleForPodIdentity",
};

/** What the last upstream answer said about the node-wide problems. */
export interface UpstreamHealth {
  /** Records the problem an answer showed; `undefined` (a success) clears every problem. */
  report(problem: UpstreamProblem | undefined): void;
  /** Readiness: the current problem in words, or undefined when there is none. */
  notReadyReason(): string | undefined;
}

/**
 * Keeps the node-wide upstream problem of the last answer, and mirrors it in `gauge`
 * (`pod_identity_upstream_problem{reason}`: 1 for the current problem, 0 for the others).
 */
export function createUpstreamHealth(gauge?: Gauge<'reason'>): UpstreamHealth {
  let current: UpstreamProblem | undefined;
  const publish = () => {
    for (const reason of UPSTREAM_PROBLEMS) gauge?.set({ reason }, reason === current ? 1 : 0);
  };
  publish();
  return {
    report(problem) {
      if (problem === current) return;
      current = problem;
      publish();
    },
    notReadyReason: () => (current === undefined ? undefined : TEXT[current]),
  };
}
