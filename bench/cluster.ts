import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClusterKeyAlg, type ClusterKeys, createClusterKeys } from '../test-support/cluster-keys.js';

/** Cluster name, issuer and audience every benchmark uses. */
export const BENCH_CLUSTER = 'bench';
export const BENCH_ISSUER = 'https://oidc.bench.example/id/BENCH';
export const BENCH_AUDIENCE = 'pods.eks.amazonaws.com';
export const BENCH_REGION = 'us-east-1';
/** The node's AWS credentials (SigV4 of EKS Auth calls; the stand-in checks them). */
export const NODE_CREDENTIALS = Object.freeze({
  accessKeyId: 'AKIABENCHNODE0000000',
  secretAccessKey: 'benchNodeSecretKey0000000000000000000000',
});

/** A test cluster's signing key, its JWKS file and a token minter. */
export interface BenchCluster {
  readonly keys: ClusterKeys;
  readonly dir: string;
  readonly jwksFile: string;
  /** A projected token for pod `podName` in `default` (service account `app`). */
  token(podName: string, nowMs?: number): Promise<string>;
  cleanup(): Promise<void>;
}

/** Creates the keys (RS256 by default, as API servers sign) and writes the JWKS file into a temp dir. */
export async function createBenchCluster(alg: ClusterKeyAlg = 'RS256'): Promise<BenchCluster> {
  const keys = await createClusterKeys({ alg });
  const dir = await mkdtemp(join(tmpdir(), 'pia-bench-'));
  const jwksFile = await keys.writeJwksFile(dir);
  return {
    keys,
    dir,
    jwksFile,
    token: (podName, nowMs) =>
      keys.mintToken({
        issuer: BENCH_ISSUER,
        audience: BENCH_AUDIENCE,
        namespace: 'default',
        serviceAccount: 'app',
        podName,
        nodeName: 'bench-node',
        ...(nowMs === undefined ? {} : { now: nowMs }),
      }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The agent's flags for the benchmarks (EKS Auth exchange against `endpoint`, JWKS file). */
export function agentArgs(endpoint: string, jwksFile: string): string[] {
  return [
    '--exchange',
    'eks-auth',
    '--cluster-name',
    BENCH_CLUSTER,
    '--region',
    BENCH_REGION,
    '--endpoint',
    endpoint,
    '--allow-plain-http',
    '--issuer',
    BENCH_ISSUER,
    '--audience',
    BENCH_AUDIENCE,
    '--jwks-file',
    jwksFile,
    '--node-name',
    'bench-node',
  ];
}
