import { launchAgent } from './agent-launch.js';
import { agentArgs, createBenchCluster } from './cluster.js';
import { httpGet, keepAliveAgent, podAddress } from './http-get.js';
import { startInstantUpstreamProcess } from './instant-upstream-process.js';
import { processCpuMs } from './process-cpu.js';
import { atMost, exactly, type Figure, figure, type Scenario } from './report.js';
import { percentile } from './stats.js';

const NAME = 'miss-overhead';
const PODS = 1000;
const WARMUP_PODS = 100;

/**
 * Miss path overhead: the built agent against an EKS Auth stand-in that answers at
 * once, in a process of its own; 1,000 distinct pods ask one after the other (after 100 warm-up
 * pods); overhead = the client's total minus the stand-in's own time for that call (requests are
 * sequential, so the n-th call the stand-in saw is the n-th request's).
 */
async function run(): Promise<Figure[]> {
  const cluster = await createBenchCluster();
  const upstream = await startInstantUpstreamProcess();
  const agent = await launchAgent({ args: agentArgs(upstream.endpoint, cluster.jwksFile) });
  const http = keepAliveAgent();
  try {
    const tokens: string[] = [];
    for (let i = 0; i < PODS + WARMUP_PODS; i++) tokens.push(await cluster.token(`miss-pod-${i}`));
    const totals: number[] = [];
    let failures = 0;
    let cpuBefore = Number.NaN;
    for (const [i, token] of tokens.entries()) {
      if (i === WARMUP_PODS) cpuBefore = processCpuMs(agent.child.pid);
      const started = process.hrtime.bigint();
      const response = await httpGet(agent.url, { authorization: token }, http, podAddress(i));
      totals.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (response.status !== 200) failures++;
    }
    const agentCpuMs = processCpuMs(agent.child.pid) - cpuBefore;
    const handleMs = await upstream.handleMs();
    // Exactly one upstream call per request (a retry or a cache hit would shift the pairing below).
    if (handleMs.length !== tokens.length) failures += Math.abs(handleMs.length - tokens.length);
    const overheads = totals.map((total, i) => total - (handleMs[i] ?? 0)).slice(WARMUP_PODS);
    totals.splice(0, WARMUP_PODS);
    return [
      figure(NAME, 'overhead p50', percentile(overheads, 50), 'ms', atMost(1, ' ms')),
      figure(NAME, 'overhead p99', percentile(overheads, 99), 'ms', atMost(5, ' ms')),
      figure(NAME, 'client total p50', percentile(totals, 50), 'ms'),
      figure(NAME, 'stand-in time p50 (subtracted)', percentile(handleMs.slice(WARMUP_PODS), 50), 'ms'),
      figure(NAME, 'agent CPU per miss (all threads)', agentCpuMs / PODS, 'ms'),
      figure(NAME, 'requests not 200, or upstream calls not one per request', failures, 'count', exactly(0)),
    ];
  } finally {
    http.destroy();
    await agent.stop();
    await upstream.stop();
    await cluster.cleanup();
  }
}

/** Scenario 2 of `npm run bench` (docs/performance.md). */
export const missOverhead: Scenario = { name: NAME, title: `miss overhead over ${PODS} distinct pods`, run };
