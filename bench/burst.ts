import { setTimeout as sleep } from 'node:timers/promises';
import { launchAgent } from './agent-launch.js';
import { agentArgs, createBenchCluster } from './cluster.js';
import { httpGet, keepAliveAgent, podAddress } from './http-get.js';
import { atMost, exactly, type Figure, figure, type Scenario } from './report.js';
import { startBenchEksAuth } from './stand-in.js';
import { msSince } from './stats.js';

const NAME = 'burst';
const PODS = 250;
const REQUESTS_PER_POD = 5;
const UPSTREAM_LATENCY_MS = 100;

/**
 * Burst at node boot: 250 pods start evenly within one second, each sending 5
 * concurrent first requests (SDK retries, several processes), against an EKS Auth stand-in that
 * takes 100 ms per call. Counts upstream calls, 5xx, and how long after its upstream answer each
 * pod waited for its last response.
 */
async function run(): Promise<Figure[]> {
  const cluster = await createBenchCluster();
  const eksAuth = await startBenchEksAuth(cluster);
  const agent = await launchAgent({ args: agentArgs(eksAuth.endpoint, cluster.jwksFile) });
  const http = keepAliveAgent();
  try {
    const tokens: string[] = [];
    for (let i = 0; i < PODS; i++) tokens.push(await cluster.token(`boot-pod-${i}`));
    eksAuth.setLatency(UPSTREAM_LATENCY_MS);
    const callsBefore = eksAuth.calls.total;
    const statuses = new Map<number, number>();
    const lagAfterUpstream: number[] = [];
    const started = process.hrtime.bigint();
    const pods = tokens.map(async (token, i) => {
      await sleep((i * 1000) / PODS);
      const podStart = process.hrtime.bigint();
      const answers = await Promise.all(
        Array.from({ length: REQUESTS_PER_POD }, () =>
          httpGet(agent.url, { authorization: token }, http, podAddress(i)).catch(() => ({ status: 0 })),
        ),
      );
      for (const { status } of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1);
      lagAfterUpstream.push(msSince(podStart) - UPSTREAM_LATENCY_MS);
    });
    await Promise.all(pods);
    const allServedMs = msSince(started);
    const calls = eksAuth.calls.total - callsBefore;
    const count = (test: (status: number) => boolean) =>
      [...statuses].filter(([s]) => test(s)).reduce((n, [, c]) => n + c, 0);
    return [
      figure(NAME, 'upstream calls for 250 pods', calls, 'calls', exactly(PODS)),
      figure(
        NAME,
        '5xx or failed requests',
        count((s) => s >= 500 || s === 0),
        'count',
        exactly(0),
      ),
      figure(
        NAME,
        'non-200 answers',
        count((s) => s !== 200),
        'count',
        exactly(0),
      ),
      figure(NAME, 'time until every pod served', allServedMs, 'ms'),
      figure(
        NAME,
        'slowest pod after its upstream answer',
        Math.max(...lagAfterUpstream),
        'ms',
        atMost(1000, ' ms'),
      ),
    ];
  } finally {
    http.destroy();
    await agent.stop();
    await eksAuth.stop();
    await cluster.cleanup();
  }
}

/** Scenario 3 of `npm run bench` (docs/performance.md). */
export const burst: Scenario = {
  name: NAME,
  title: `${PODS} pods x ${REQUESTS_PER_POD} requests in 1 s, upstream ${UPSTREAM_LATENCY_MS} ms`,
  run,
};
