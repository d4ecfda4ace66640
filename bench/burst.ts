import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { launchAgent } from './agent-launch.js';
import { agentArgs, createBenchCluster } from './cluster.js';
import { type CpuCgroup, cpuCgroupProblem, createCpuCgroup, daemonSetCpuLimit } from './cpu-cgroup.js';
import { httpGet, keepAliveAgent, podAddress } from './http-get.js';
import { processCpuMs } from './process-cpu.js';
import { atMost, exactly, type Figure, figure, type Scenario } from './report.js';
import { epochMs, startStandInProcess } from './stand-in-process.js';

const PODS = 250;
const REQUESTS_PER_POD = 5;
const UPSTREAM_LATENCY_MS = 100;
/** The DaemonSet the CPU-limited run takes its limit from. */
const DAEMONSET = fileURLToPath(new URL('../../manifests/base/daemonset.yaml', import.meta.url));

/**
 * Burst at node boot: 250 pods start evenly within one second, each sending 5 concurrent first
 * requests (SDK retries, several processes), against the EKS Auth stand-in (SigV4 and token checks)
 * in a process of its own, answering after 100 ms. Each pod's wait is measured from the moment the
 * stand-in sent that pod's answer (its own clock, comparable across processes) to the pod's last
 * response. With `cpus`, the agent runs in a cgroup v1 cpu cgroup with that CFS quota.
 */
async function runBurst(name: string, cpus: number | undefined): Promise<Figure[]> {
  let cgroup: CpuCgroup | undefined;
  if (cpus !== undefined) {
    const problem = cpuCgroupProblem();
    if (problem !== undefined) throw new Error(`${name}: ${problem}`);
    cgroup = createCpuCgroup(cpus);
  }
  const cluster = await createBenchCluster();
  const eksAuth = await startStandInProcess(cluster);
  const agent = await launchAgent({ args: agentArgs(eksAuth.endpoint, cluster.jwksFile) });
  if (cgroup !== undefined && agent.child.pid !== undefined) cgroup.add(agent.child.pid);
  const http = keepAliveAgent();
  try {
    const tokens: string[] = [];
    for (let i = 0; i < PODS; i++) tokens.push(await cluster.token(`boot-pod-${i}`));
    await eksAuth.setLatency(UPSTREAM_LATENCY_MS);
    const answersBefore = (await eksAuth.answers()).length;
    const throttledBefore = cgroup?.stat();
    const cpuBefore = processCpuMs(agent.child.pid);
    const statuses = new Map<number, number>();
    const servedAt = new Map<string, number>();
    const pods = tokens.map(async (token, i) => {
      await sleep((i * 1000) / PODS);
      const answers = await Promise.all(
        Array.from({ length: REQUESTS_PER_POD }, () =>
          httpGet(agent.url, { authorization: token }, http, podAddress(i)).catch(() => ({ status: 0 })),
        ),
      );
      servedAt.set(`boot-pod-${i}`, epochMs());
      for (const { status } of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    });
    await Promise.all(pods);
    const agentCpuMs = processCpuMs(agent.child.pid) - cpuBefore;
    const upstream = (await eksAuth.answers()).slice(answersBefore);
    // Each pod's last successful upstream answer; a pod without one counts as a failure below.
    const answeredAt = new Map<string, number>();
    for (const a of upstream) if (a.status === 200) answeredAt.set(a.pod, a.atMs);
    const lags = [...servedAt].map(([pod, at]) => at - (answeredAt.get(pod) ?? Number.NaN));
    const lastAnswer = Math.max(...answeredAt.values());
    const lastServed = Math.max(...servedAt.values());
    const count = (test: (status: number) => boolean) =>
      [...statuses].filter(([s]) => test(s)).reduce((n, [, c]) => n + c, 0);
    const slowest = lags.some(Number.isNaN) ? Number.NaN : Math.max(...lags);
    const figures = [
      figure(
        name,
        'upstream calls for 250 pods',
        upstream.length,
        'calls',
        cpus === undefined ? exactly(PODS) : undefined,
      ),
      figure(name, 'pods without an upstream answer', PODS - answeredAt.size, 'count', exactly(0)),
      figure(
        name,
        '5xx or failed requests',
        count((s) => s >= 500 || s === 0),
        'count',
        exactly(0),
      ),
      figure(
        name,
        'non-200 answers',
        count((s) => s !== 200),
        'count',
        exactly(0),
      ),
      figure(name, 'agent CPU for the burst (all threads)', agentCpuMs, 'ms'),
    ];
    if (cpus === undefined) {
      figures.push(
        figure(name, 'slowest pod after its own upstream answer', slowest, 'ms', atMost(1000, ' ms')),
        figure(name, 'last pod served after the last upstream answer', lastServed - lastAnswer, 'ms'),
      );
    } else {
      const stat = cgroup?.stat();
      figures.push(
        figure(name, 'agent CPU limit (DaemonSet)', cpus, 'CPUs'),
        figure(
          name,
          'last pod served after the last upstream answer',
          lastServed - lastAnswer,
          'ms',
          atMost(3000, ' ms'),
        ),
        figure(name, 'slowest pod after its own upstream answer', slowest, 'ms'),
        figure(
          name,
          'agent throttled by the CPU quota',
          (stat?.throttledMs ?? Number.NaN) - (throttledBefore?.throttledMs ?? Number.NaN),
          'ms',
        ),
      );
    }
    return figures;
  } finally {
    http.destroy();
    await agent.stop();
    await eksAuth.stop();
    await cluster.cleanup();
    cgroup?.remove();
  }
}

/** The burst scenario, the agent on free CPU. */
export const burst: Scenario = {
  name: 'burst',
  title: `${PODS} pods x ${REQUESTS_PER_POD} requests in 1 s, upstream ${UPSTREAM_LATENCY_MS} ms`,
  run: () => runBurst('burst', undefined),
};

/** The same burst with the agent held to the DaemonSet's CPU limit (cgroup v1 cpu controller, root). */
export const burstCpuLimit: Scenario = {
  name: 'burst-cpu-limit',
  title: `burst with the agent at the DaemonSet's CPU limit (${DAEMONSET})`,
  run: () => runBurst('burst-cpu-limit', daemonSetCpuLimit(DAEMONSET)),
};
