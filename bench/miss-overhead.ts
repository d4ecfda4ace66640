import { type ChildProcess, fork } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launchAgent } from './agent-launch.js';
import { agentArgs, createBenchCluster } from './cluster.js';
import { httpGet, keepAliveAgent, podAddress } from './http-get.js';
import { startInstantUpstreamProcess } from './instant-upstream-process.js';
import { mainThreadCpuMs, processCpuMs } from './process-cpu.js';
import { atMost, exactly, type Figure, figure, type Scenario } from './report.js';
import { percentile } from './stats.js';

const NAME = 'miss-overhead';
const PODS = 1000;
/**
 * Pods before the measured ones. V8's optimizing compiler is still compiling the miss path over the
 * first few thousand misses of a process (a fifth of the agent's CPU over the first 1,000, `perf`);
 * a node's agent exchanges on every refresh of every identity, so its misses run warm after its
 * first hours. The CPU per miss of each warm-up window is printed beside the verdict's, so every run
 * shows the curve.
 */
const WARMUP_PODS = 3000;
/** Warm-up windows whose CPU per miss is printed, [from, to) pod indexes (the first 100: start-up). */
const WARMUP_WINDOWS: readonly (readonly [number, number])[] = [
  [100, 1100],
  [1100, 2100],
  [2100, 3000],
];

/** Forks a raw node:http server answering `bodyFile` at once: the client's own floor. */
async function startFloor(bodyFile: string): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(new URL('./fixed-body-server.js', import.meta.url), ['raw', bodyFile], {
    stdio: 'inherit',
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`floor server exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}/v1/credentials` };
}

/**
 * Miss path overhead: the built agent against an EKS Auth stand-in that answers at once, in a
 * process of its own; 1,000 distinct pods ask one after the other (after 3,000 warm-up pods), each
 * from its own address and so on a new connection. Overhead = the client's total minus the
 * stand-in's own time for that call (requests are sequential, so the n-th call the stand-in saw is
 * the n-th request's). The client's floor is the same client, same request, new connection, against
 * a raw node:http server in its own process that answers the agent's body at once; floor and agent
 * requests alternate, and the verdicts are on the overhead above the floor at the same percentile.
 */
async function run(): Promise<Figure[]> {
  const cluster = await createBenchCluster();
  const upstream = await startInstantUpstreamProcess();
  // 4,000 distinct pods one after the other: lift the node-wide miss budget, which would answer most
  // of them Throttled and is not what this scenario measures.
  const agent = await launchAgent({
    args: [...agentArgs(upstream.endpoint, cluster.jwksFile), '--upstream-miss-rate', '100000'],
  });
  const http = keepAliveAgent();
  let floor: { child: ChildProcess; url: string } | undefined;
  try {
    const tokens: string[] = [];
    for (let i = 0; i < PODS + WARMUP_PODS; i++) tokens.push(await cluster.token(`miss-pod-${i}`));
    const totals: number[] = [];
    const floors: number[] = [];
    let failures = 0;
    const windowCpu = WARMUP_WINDOWS.map(() => Number.NaN);
    let cpuBefore = Number.NaN;
    let mainBefore = Number.NaN;
    let floorCpuBefore = Number.NaN;
    const timed = async (url: string, token: string, i: number) => {
      const started = process.hrtime.bigint();
      const response = await httpGet(url, { authorization: token }, http, podAddress(i));
      if (response.status !== 200) failures++;
      return { ms: Number(process.hrtime.bigint() - started) / 1e6, body: response.body };
    };
    for (const [i, token] of tokens.entries()) {
      for (const [w, [from, to]] of WARMUP_WINDOWS.entries()) {
        if (i === from) windowCpu[w] = processCpuMs(agent.child.pid);
        if (i === to) windowCpu[w] = processCpuMs(agent.child.pid) - (windowCpu[w] as number);
      }
      if (i === WARMUP_PODS) {
        cpuBefore = processCpuMs(agent.child.pid);
        mainBefore = mainThreadCpuMs(agent.child.pid);
        floorCpuBefore = processCpuMs(floor?.child.pid);
      }
      const floorFirst = i % 2 === 0;
      if (floor !== undefined && floorFirst) floors.push((await timed(floor.url, token, i)).ms);
      const answer = await timed(agent.url, token, i);
      totals.push(answer.ms);
      if (floor !== undefined && !floorFirst) floors.push((await timed(floor.url, token, i)).ms);
      if (floor === undefined && i === WARMUP_PODS - 1) {
        // The floor serves the agent's own answer bytes, so both answers are the same size.
        const bodyFile = join(cluster.dir, 'floor-body.json');
        await writeFile(bodyFile, answer.body);
        floor = await startFloor(bodyFile);
      }
    }
    const agentCpuMs = processCpuMs(agent.child.pid) - cpuBefore;
    const mainCpuMs = mainThreadCpuMs(agent.child.pid) - mainBefore;
    const floorCpuMs = processCpuMs(floor?.child.pid) - floorCpuBefore;
    const handleMs = await upstream.handleMs();
    // Exactly one upstream call per request (a retry or a cache hit would shift the pairing below).
    if (handleMs.length !== tokens.length) failures += Math.abs(handleMs.length - tokens.length);
    const overheads = totals.map((total, i) => total - (handleMs[i] ?? 0)).slice(WARMUP_PODS);
    totals.splice(0, WARMUP_PODS);
    const above = (p: number) => percentile(overheads, p) - percentile(floors, p);
    return [
      figure(NAME, 'overhead above the client floor, p50', above(50), 'ms', atMost(1, ' ms')),
      figure(NAME, 'overhead above the client floor, p99', above(99), 'ms', atMost(5, ' ms')),
      figure(NAME, 'overhead (client total minus stand-in time) p50', percentile(overheads, 50), 'ms'),
      figure(NAME, 'overhead (client total minus stand-in time) p99', percentile(overheads, 99), 'ms'),
      figure(NAME, 'client floor p50 (instant server, new connection)', percentile(floors, 50), 'ms'),
      figure(NAME, 'client floor p99', percentile(floors, 99), 'ms'),
      figure(NAME, 'client total p50', percentile(totals, 50), 'ms'),
      figure(NAME, 'stand-in time p50 (subtracted)', percentile(handleMs.slice(WARMUP_PODS), 50), 'ms'),
      figure(NAME, 'agent CPU per miss (all threads)', agentCpuMs / PODS, 'ms', atMost(1, ' ms')),
      figure(NAME, 'agent CPU per miss, main thread only', mainCpuMs / PODS, 'ms'),
      ...WARMUP_WINDOWS.map(([from, to], w) =>
        figure(
          NAME,
          `agent CPU per miss, warm-up pods ${from + 1}–${to}`,
          (windowCpu[w] as number) / (to - from),
          'ms',
        ),
      ),
      // What a new connection and one answer cost a server that does nothing else: part of every miss.
      figure(NAME, 'floor server CPU per request (new connection, all threads)', floorCpuMs / PODS, 'ms'),
      figure(NAME, 'requests not 200, or upstream calls not one per request', failures, 'count', exactly(0)),
    ];
  } finally {
    http.destroy();
    floor?.child.kill();
    await agent.stop();
    await upstream.stop();
    await cluster.cleanup();
  }
}

/** The miss-overhead scenario. */
export const missOverhead: Scenario = { name: NAME, title: `miss overhead over ${PODS} distinct pods`, run };
