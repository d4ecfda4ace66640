import { type ChildProcess, fork } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launchAgent } from './agent-launch.js';
import { agentArgs, createBenchCluster } from './cluster.js';
import { httpGet } from './http-get.js';
import { startInstantUpstream } from './instant-upstream.js';
import { type LoadResult, measure } from './load.js';
import { atLeast, atMost, exactly, type Figure, figure, type Scenario } from './report.js';
import { hitPathSettings } from './settings.js';
import { median } from './stats.js';

const NAME = 'hit-path';

/** Forks the fixed-body server of `kind` and resolves with it and its URL. */
async function startFixed(
  kind: 'raw' | 'fastify',
  bodyFile: string,
): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(new URL('./fixed-body-server.js', import.meta.url), [kind, bodyFile], {
    stdio: 'inherit',
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}/v1/credentials` };
}

/**
 * Hit path vs the physical limit: (a) raw node:http with the agent's real response
 * bytes, (b) a bare fastify route, (c) the built agent answering a cached identity for a real signed
 * token. Alternating rounds, same autocannon settings; ratios per round, medians reported; then the
 * agent's p99 at half its maximum rate.
 */
async function run(): Promise<Figure[]> {
  const settings = hitPathSettings();
  const cluster = await createBenchCluster();
  const upstream = await startInstantUpstream();
  // One load generator is one source address: the per-address rate limit (a Map lookup and a token
  // bucket per request) is turned off, or it would answer 429 to everything past 50 req/s.
  const agent = await launchAgent({
    args: [...agentArgs(upstream.endpoint, cluster.jwksFile), '--rate-limit', '0'],
  });
  const children: ChildProcess[] = [];
  try {
    const token = await cluster.token('hit-pod');
    const first = await httpGet(agent.url, { authorization: token });
    if (first.status !== 200) throw new Error(`agent answered ${first.status}: ${first.body.toString()}`);
    const bodyFile = join(cluster.dir, 'body.json');
    await writeFile(bodyFile, first.body);
    const raw = await startFixed('raw', bodyFile);
    const bare = await startFixed('fastify', bodyFile);
    children.push(raw.child, bare.child);
    const headers = { authorization: token };
    const rounds: { a: LoadResult; b: LoadResult; c: LoadResult }[] = [];
    for (let i = 0; i < settings.rounds; i++) {
      const a = await measure(raw.url, headers, settings, undefined, raw.child.pid);
      const b = await measure(bare.url, headers, settings, undefined, bare.child.pid);
      const c = await measure(agent.url, headers, settings, undefined, agent.child.pid);
      rounds.push({ a, b, c });
    }
    const med = (pick: (r: (typeof rounds)[number]) => number) => median(rounds.map(pick));
    const agentMax = med((r) => r.c.requestsPerSecond);
    const half = await measure(agent.url, headers, settings, Math.max(1, Math.floor(agentMax / 2)));
    const f = (name: string, value: number, unit: string, target?: Parameters<typeof figure>[4]) =>
      figure(NAME, name, value, unit, target);
    return [
      f('body size', first.body.length, 'bytes'),
      f(
        '(a) raw node:http',
        med((r) => r.a.requestsPerSecond),
        'req/s',
      ),
      f(
        '(b) bare fastify',
        med((r) => r.b.requestsPerSecond),
        'req/s',
      ),
      f('(c) agent, cached identity', agentMax, 'req/s'),
      f(
        '(a) p50',
        med((r) => r.a.p50),
        'ms',
      ),
      f(
        '(a) p99',
        med((r) => r.a.p99),
        'ms',
      ),
      f(
        '(b) p50',
        med((r) => r.b.p50),
        'ms',
      ),
      f(
        '(b) p99',
        med((r) => r.b.p99),
        'ms',
      ),
      f(
        '(c) p50',
        med((r) => r.c.p50),
        'ms',
      ),
      f(
        '(c) p99',
        med((r) => r.c.p99),
        'ms',
      ),
      f(
        '(a) server CPU per request',
        med((r) => r.a.cpuUsPerRequest),
        'µs',
      ),
      f(
        '(b) server CPU per request',
        med((r) => r.b.cpuUsPerRequest),
        'µs',
      ),
      f(
        '(c) agent CPU per request',
        med((r) => r.c.cpuUsPerRequest),
        'µs',
      ),
      f(
        'CPU a/c (throughput ratio if CPU-bound)',
        med((r) => r.a.cpuUsPerRequest / r.c.cpuUsPerRequest),
        'ratio',
      ),
      f(
        'CPU b/c (throughput ratio if CPU-bound)',
        med((r) => r.b.cpuUsPerRequest / r.c.cpuUsPerRequest),
        'ratio',
      ),
      f(
        'c/a',
        med((r) => r.c.requestsPerSecond / r.a.requestsPerSecond),
        'ratio',
        atLeast(0.75),
      ),
      f(
        'c/b',
        med((r) => r.c.requestsPerSecond / r.b.requestsPerSecond),
        'ratio',
        atLeast(0.9),
      ),
      f('(c) p99 at half max rate', half.p99, 'ms', atMost(2, ' ms')),
      f('(c) p50 at half max rate', half.p50, 'ms'),
      f(
        '(c) non-2xx + errors',
        rounds.reduce((n, r) => n + r.c.non2xx + r.c.errors, 0) + half.non2xx,
        'count',
        exactly(0),
      ),
    ];
  } finally {
    for (const child of children) child.kill();
    await agent.stop();
    await upstream.stop();
    await cluster.cleanup();
  }
}

/** Scenario 1 of `npm run bench` (docs/performance.md). */
export const hitPath: Scenario = {
  name: NAME,
  title: `hit path vs raw node:http and bare fastify (${JSON.stringify(hitPathSettings())})`,
  run,
};
