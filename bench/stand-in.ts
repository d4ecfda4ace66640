import { type EksAuthService, startEksAuthService } from '../test-support/eks-auth-service.js';
import { BENCH_CLUSTER, BENCH_ISSUER, type BenchCluster, NODE_CREDENTIALS } from './cluster.js';

/** The role every benchmark pod is associated with. */
export const BENCH_ROLE_ARN = 'arn:aws:iam::123456789012:role/bench-role';

/** The EKS Auth stand-in with locally minted credentials (no STS), for the benchmark cluster. */
export function startBenchEksAuth(cluster: BenchCluster): Promise<EksAuthService> {
  return startEksAuthService({
    jwks: cluster.keys.jwks,
    issuer: BENCH_ISSUER,
    clusterName: BENCH_CLUSTER,
    associations: [{ namespace: 'default', serviceAccount: 'app', roleArn: BENCH_ROLE_ARN }],
    mint: 'local',
    nodeCredentials: NODE_CREDENTIALS,
  });
}
