import { fileURLToPath } from 'node:url';
import type { JSONWebKeySet } from 'jose';
import { startEksAuthService } from '../test-support/eks-auth-service.js';
import { forkChildServer } from './child-server.js';
import { BENCH_CLUSTER, BENCH_ISSUER, type BenchCluster, NODE_CREDENTIALS } from './cluster.js';

/** One answer of the stand-in: the pod whose token it carried, its status, and when it was sent. */
export interface StandInAnswer {
  readonly pod: string;
  readonly status: number;
  /** Epoch milliseconds (`performance.timeOrigin + performance.now()`, comparable across processes). */
  readonly atMs: number;
}

/** The benchmark's EKS Auth stand-in (SigV4 and token checks, local minting) in a process of its own. */
export interface StandInProcess {
  readonly endpoint: string;
  readonly pid: number | undefined;
  setLatency(ms: number): Promise<void>;
  /** Every answer so far, in the order they were sent. */
  answers(): Promise<StandInAnswer[]>;
  stop(): Promise<void>;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable between processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The role every benchmark pod is associated with. */
const BENCH_ROLE_ARN = 'arn:aws:iam::123456789012:role/bench-role';

type Message = { endpoint: string } | { answers: StandInAnswer[] } | { latency: number };

/** Forks this file as the stand-in of `cluster` (see {@link forkChildServer}). */
export async function startStandInProcess(cluster: BenchCluster): Promise<StandInProcess> {
  const child = await forkChildServer<Message>(fileURLToPath(import.meta.url), 'EKS Auth stand-in', {
    jwks: cluster.keys.jwks,
  });
  return {
    endpoint: child.first.endpoint,
    pid: child.pid,
    async setLatency(ms) {
      await child.ask({ latency: ms }, 'latency');
    },
    async answers() {
      return (await child.ask({ answers: true }, 'answers')).answers;
    },
    stop: () => child.stop(),
  };
}

/** The pod named in a request body's token, without checking it (the service checks it). */
function podOf(body: Buffer): string {
  try {
    const token = (JSON.parse(body.toString('utf8')) as { token: string }).token;
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return String(payload['kubernetes.io']?.pod?.name ?? '');
  } catch {
    return '';
  }
}

if (process.argv[2] === '--serve' && process.send !== undefined) {
  const answers: StandInAnswer[] = [];
  const { jwks } = await new Promise<{ jwks: JSONWebKeySet }>((resolve) =>
    process.once('message', (m) => resolve(m as { jwks: JSONWebKeySet })),
  );
  const service = await startEksAuthService({
    jwks,
    issuer: BENCH_ISSUER,
    clusterName: BENCH_CLUSTER,
    associations: [{ namespace: 'default', serviceAccount: 'app', roleArn: BENCH_ROLE_ARN }],
    mint: 'local',
    nodeCredentials: NODE_CREDENTIALS,
    onAnswered: (body, status) => answers.push({ pod: podOf(body), status, atMs: epochMs() }),
  });
  process.on('message', (message: { latency?: number; answers?: boolean }) => {
    if (message.latency !== undefined) {
      service.setLatency(message.latency);
      process.send?.({ latency: message.latency });
    } else if (message.answers === true) process.send?.({ answers });
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ endpoint: service.endpoint });
}
