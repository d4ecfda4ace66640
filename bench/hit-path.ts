import { type ChildProcess, fork } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AGENT_NODE_FLAGS, type LaunchedAgent, launchAgent } from './agent-launch.js';
import { agentArgs, createBenchCluster } from './cluster.js';
import { httpGet } from './http-get.js';
import { startInstantUpstream } from './instant-upstream.js';
import { type LoadResult, measure } from './load.js';
import { atLeast, atMost, exactly, type Figure, figure, type Scenario } from './report.js';
import { hitPathSettings } from './settings.js';
import { median } from './stats.js';

const NAME = 'hit-path';

/**
 * Microseconds of busy loop per request of the calibration server (k): bare fastify doing a known
 * amount of route work, to read the agent's own work off its CPU per request.
 */
const SPIN_US = 10;

/** The servers each round measures: raw, bare fastify, shell, calibration, agent. */
const SERVERS = ['a', 'b', 's', 'k', 'c'] as const;
type Server = (typeof SERVERS)[number];

/** Forks the fixed-body server of `kind` and resolves with it and its URL. */
async function startFixed(
  kind: 'raw' | 'fastify' | 'shell' | 'spin',
  bodyFile: string,
): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(new URL('./fixed-body-server.js', import.meta.url), [kind, bodyFile, String(SPIN_US)], {
    // The shell runs with the agent's own Node flags: it is the agent's process without its route.
    ...(kind === 'shell' ? { execArgv: [...AGENT_NODE_FLAGS] } : {}),
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}/v1/credentials` };
}

/** The five servers of one round, each a fresh process. */
interface RoundServers {
  readonly agent: LaunchedAgent;
  readonly urls: Record<Server, string>;
  readonly pids: Record<Server, number | undefined>;
  stop(): Promise<void>;
}

/**
 * Starts the agent, fills its cache for `token` with one request and writes that answer to
 * `bodyFile`, then the four fixed-body servers serving those bytes.
 */
async function startRound(
  upstreamEndpoint: string,
  jwksFile: string,
  token: string,
  bodyFile: string,
): Promise<RoundServers> {
  // One load generator is one source address: the per-address rate limit (a Map lookup and a token
  // bucket per request) is turned off, or it would answer 429 to everything past 50 req/s.
  const agent = await launchAgent({ args: [...agentArgs(upstreamEndpoint, jwksFile), '--rate-limit', '0'] });
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of children) child.kill();
    await agent.stop();
  };
  const start = async (kind: Parameters<typeof startFixed>[0]) => {
    const server = await startFixed(kind, bodyFile);
    children.push(server.child);
    return server;
  };
  try {
    const first = await httpGet(agent.url, { authorization: token });
    if (first.status !== 200) throw new Error(`agent answered ${first.status}: ${first.body.toString()}`);
    await writeFile(bodyFile, first.body);
    const a = await start('raw');
    const b = await start('fastify');
    const s = await start('shell');
    const k = await start('spin');
    return {
      agent,
      urls: { a: a.url, b: b.url, s: s.url, k: k.url, c: agent.url },
      pids: { a: a.child.pid, b: b.child.pid, s: s.child.pid, k: k.child.pid, c: agent.child.pid },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Hit path vs the physical limit: (a) raw node:http with the agent's real response
 * bytes, (b) a bare fastify route, (c) the built agent answering a cached identity for a real signed
 * token. Same autocannon settings; ratios per round, medians reported; then the agent's p99 at half
 * its maximum rate (the last round's agent). Every round starts its five servers afresh: two
 * processes of the same build, measured in the same rounds, differed by up to 15 % in CPU per
 * request (docs/performance.md), so rounds over one process each would all carry that process's
 * luck. The order of the five turns by one each round (see below). Verdicts on requests/s and on CPU
 * per request from /proc.
 */
async function run(): Promise<Figure[]> {
  const settings = hitPathSettings();
  const cluster = await createBenchCluster();
  const upstream = await startInstantUpstream();
  let servers: RoundServers | undefined;
  try {
    const token = await cluster.token('hit-pod');
    const bodyFile = join(cluster.dir, 'body.json');
    const headers = { authorization: token };
    const rounds: Record<Server, LoadResult>[] = [];
    for (let i = 0; i < settings.rounds; i++) {
      await servers?.stop();
      servers = await startRound(upstream.endpoint, cluster.jwksFile, token, bodyFile);
      const { urls, pids } = servers;
      // Each round starts the order one server later, so over five rounds every server is measured
      // once in every position: no server always waits longest or follows the same loads.
      const round = {} as Record<Server, LoadResult>;
      for (let j = 0; j < SERVERS.length; j++) {
        const key = SERVERS[(i + j) % SERVERS.length] as Server;
        round[key] = await measure(urls[key], headers, settings, undefined, pids[key]);
      }
      rounds.push(round);
    }
    if (servers === undefined) throw new Error('BENCH_ROUNDS must be at least 1');
    const { agent } = servers;
    const body = await readFile(bodyFile);
    // CPU per request the server pays per µs of its own work: its replies wake a load generator
    // that waited for them, in the server's system time, so more work costs more than itself.
    const med = (pick: (r: (typeof rounds)[number]) => number) => median(rounds.map(pick));
    const perWorkUs = med((r) => (r.k.cpuUsPerRequest - r.b.cpuUsPerRequest) / SPIN_US);
    const agentMax = med((r) => r.c.requestsPerSecond);
    const half = await measure(agent.url, headers, settings, Math.max(1, Math.floor(agentMax / 2)));
    const f = (name: string, value: number, unit: string, target?: Parameters<typeof figure>[4]) =>
      figure(NAME, name, value, unit, target);
    return [
      f('body size', body.length, 'bytes'),
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
        "(s) bare route on the agent's fastify, listeners and Node flags",
        med((r) => r.s.requestsPerSecond),
        'req/s',
      ),
      f(
        '(s) server CPU per request',
        med((r) => r.s.cpuUsPerRequest),
        'µs',
      ),
      f(
        `(k) bare fastify + ${SPIN_US} µs busy loop per request: server CPU per request`,
        med((r) => r.k.cpuUsPerRequest),
        'µs',
      ),
      f(`(k) CPU per request added per µs of route work, (k − b) / ${SPIN_US}`, perWorkUs, 'µs/µs'),
      f(
        "(c) the agent's own work per hit over bare fastify, (c − b) / that",
        med((r) => (r.c.cpuUsPerRequest - r.b.cpuUsPerRequest) / perWorkUs),
        'µs',
      ),
      f(
        "(s) the shell's own work per request over bare fastify, (s − b) / that",
        med((r) => (r.s.cpuUsPerRequest - r.b.cpuUsPerRequest) / perWorkUs),
        'µs',
      ),
      f(
        '(b) of which system (kernel) time',
        med((r) => r.b.systemUsPerRequest),
        'µs',
      ),
      f(
        '(c) of which system (kernel) time',
        med((r) => r.c.systemUsPerRequest),
        'µs',
      ),
      f(
        'CPU a/c (throughput ratio if CPU-bound)',
        med((r) => r.a.cpuUsPerRequest / r.c.cpuUsPerRequest),
        'ratio',
      ),
      f(
        "CPU b/c: bare fastify CPU per request over the agent's",
        med((r) => r.b.cpuUsPerRequest / r.c.cpuUsPerRequest),
        'ratio',
        atLeast(0.85),
      ),
      f(
        'c/a',
        med((r) => r.c.requestsPerSecond / r.a.requestsPerSecond),
        'ratio',
      ),
      f(
        "c/b: agent requests/s over bare fastify's",
        med((r) => r.c.requestsPerSecond / r.b.requestsPerSecond),
        'ratio',
        atLeast(0.85),
      ),
      f('(c) p99 at half max rate', half.p99, 'ms', atMost(2, ' ms')),
      f('(c) p50 at half max rate', half.p50, 'ms'),
      f('(c) requests/s at half max rate', half.requestsPerSecond, 'req/s'),
      f(
        '(c) non-2xx + errors, full-rate rounds and half-rate run',
        rounds.reduce((n, r) => n + r.c.non2xx + r.c.errors, 0) + half.non2xx + half.errors,
        'count',
        exactly(0),
      ),
    ];
  } finally {
    await servers?.stop();
    await upstream.stop();
    await cluster.cleanup();
  }
}

/** The hit-path scenario. */
export const hitPath: Scenario = {
  name: NAME,
  title: `hit path vs raw node:http and bare fastify (${JSON.stringify(hitPathSettings())})`,
  run,
};
