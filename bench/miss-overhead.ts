import { launchAgent } from './agent-launch.js';
import { agentArgs, createBenchCluster } from './cluster.js';
import { httpGet, keepAliveAgent, podAddress } from './http-get.js';
import { startInstantUpstream } from './instant-upstream.js';
import { atMost, exactly, type Figure, figure, type Scenario } from './report.js';
import { percentile } from './stats.js';

const NAME = 'miss-overhead';
const PODS = 1000;
const WARMUP_PODS = 100;

/**
 * Miss path overhead (issue 7 §2): the built agent against an EKS Auth stand-in that answers at
 * once; 1,000 distinct pods ask one after the other (after 100 warm-up pods); overhead = the
 * client's total minus the stand-in's own time for that call.
 */
async function run(): Promise<Figure[]> {
  const cluster = await createBenchCluster();
  const upstream = await startInstantUpstream();
  const agent = await launchAgent({ args: agentArgs(upstream.endpoint, cluster.jwksFile) });
  const http = keepAliveAgent();
  try {
    const tokens: string[] = [];
    for (let i = 0; i < PODS + WARMUP_PODS; i++) tokens.push(await cluster.token(`miss-pod-${i}`));
    const overheads: number[] = [];
    const totals: number[] = [];
    let failures = 0;
    for (const [i, token] of tokens.entries()) {
      const before = upstream.handleMs.length;
      const started = process.hrtime.bigint();
      const response = await httpGet(agent.url, { authorization: token }, http, podAddress(i));
      const total = Number(process.hrtime.bigint() - started) / 1e6;
      if (response.status !== 200 || upstream.handleMs.length !== before + 1) failures++;
      if (i < WARMUP_PODS) continue;
      totals.push(total);
      overheads.push(total - (upstream.handleMs[before] ?? 0));
    }
    return [
      figure(NAME, 'overhead p50', percentile(overheads, 50), 'ms', atMost(1, ' ms')),
      figure(NAME, 'overhead p99', percentile(overheads, 99), 'ms', atMost(5, ' ms')),
      figure(NAME, 'client total p50', percentile(totals, 50), 'ms'),
      figure(NAME, 'requests not 200 or not one upstream call', failures, 'count', exactly(0)),
    ];
  } finally {
    http.destroy();
    await agent.stop();
    await upstream.stop();
    await cluster.cleanup();
  }
}

/** Scenario 2 of issue 7. */
export const missOverhead: Scenario = { name: NAME, title: `miss overhead over ${PODS} distinct pods`, run };
