import { type ChildProcess, fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { AGENT_NODE_FLAGS, launchAgent } from './agent-launch.js';
import { agentArgs, BENCH_AUDIENCE, BENCH_ISSUER, createBenchCluster } from './cluster.js';
import { httpGet, podAddress } from './http-get.js';
import { SESSION_TOKEN_BYTES, startInstantUpstream } from './instant-upstream.js';
import type { MemoryRequest, MemorySample } from './memory-child.js';
import { atMost, type Figure, figure, type Scenario } from './report.js';

const NAME = 'memory';
const MiB = 2 ** 20;
const STEPS = [10_000, 50_000] as const;
/**
 * Tokens minted and sent to the child at a time; the child serves them concurrently, as the agent
 * would a node boot's burst of 250 pods (the burst scenario).
 */
const BATCH = 250;

/** Concurrent pods while filling the built agent. */
const AGENT_CONCURRENCY = 16;

/** Resident set size of process `pid`, bytes (VmRSS). */
async function vmRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib) * 1024;
}

/**
 * RSS of the built agent as shipped (`dist/agent/main.js server`) idle and after serving each of
 * `tokens` once over HTTP, every pod from its own loopback address on a new connection, against
 * the instant EKS Auth stand-in. No forced GC: this is what the node would see.
 */
async function builtAgentRss(
  jwksFile: string,
  tokens: readonly string[],
): Promise<{ idle: number; filled: number }> {
  const upstream = await startInstantUpstream();
  // 10,000 pods in seconds, far beyond a node's boot: lift the node-wide miss budget, which is not
  // what this scenario measures.
  const agent = await launchAgent({
    args: [...agentArgs(upstream.endpoint, jwksFile), '--upstream-miss-rate', '100000'],
  });
  const pid = agent.child.pid as number;
  const settle = () => new Promise((resolve) => setTimeout(resolve, 1000));
  try {
    await settle();
    const idle = await vmRss(pid);
    const http = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
    let next = 0;
    const pod = async (): Promise<void> => {
      for (let i = next++; i < tokens.length; i = next++) {
        const token = tokens[i] as string;
        const response = await httpGet(agent.url, { authorization: token }, http, podAddress(i));
        if (response.status !== 200) throw new Error(`the agent answered ${response.status}`);
      }
    };
    await Promise.all(Array.from({ length: AGENT_CONCURRENCY }, pod));
    await settle();
    return { idle, filled: await vmRss(pid) };
  } finally {
    await agent.stop();
    await upstream.stop();
  }
}

/** Sends `request` to the child and resolves with its one answer. */
function ask<T>(child: ChildProcess, request: MemoryRequest): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`memory child exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', (answer) => {
      child.off('exit', onExit);
      resolve(answer as T);
    });
    child.send(request);
  });
}

/**
 * Memory: heap and RSS of the agent's app idle and with 10,000 and 50,000 cached
 * identities. The child (--expose-gc) loads only what the agent loads; this process mints the
 * ES256 tokens (RS256 would take minutes for 50,000) and hands them over, so no signing work or
 * test helper grows the measured process. Each identity is one request through the credentials
 * route, so the verifier's memo (bounded at 10,000 tokens), the cache entry, the response body and
 * the audit line's fragments are all counted. The child's RSS is above the agent's: it loads the
 * unbundled modules and light-my-request. So the RSS target is checked on the built agent itself,
 * spawned as shipped and sent the first 10,000 tokens over HTTP.
 */
async function run(): Promise<Figure[]> {
  const cluster = await createBenchCluster('ES256');
  const child = fork(new URL('./memory-child.js', import.meta.url), [], {
    // The agent's own V8 flags (as the image starts it), so the heap is sized as in the agent.
    execArgv: ['--expose-gc', ...AGENT_NODE_FLAGS],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    await new Promise((resolve) => child.once('message', resolve));
    const idle = await ask<MemorySample>(child, {
      kind: 'init',
      jwks: cluster.keys.jwks,
      jwksFile: cluster.jwksFile,
      issuer: BENCH_ISSUER,
      audience: BENCH_AUDIENCE,
      maxEntries: Math.max(...STEPS),
      sessionTokenBytes: SESSION_TOKEN_BYTES,
    });
    const samples: MemorySample[] = [];
    const firstStep: string[] = [];
    let filled = 0;
    let tokenChars = 0;
    for (const target of STEPS) {
      while (filled < target) {
        const count = Math.min(BATCH, target - filled);
        const tokens = await Promise.all(
          Array.from({ length: count }, (_, i) => cluster.token(`mem-pod-${filled + i}`)),
        );
        tokenChars = tokens[0]?.length ?? tokenChars;
        if (filled < STEPS[0]) firstStep.push(...tokens);
        await ask(child, { kind: 'serve', tokens });
        filled += count;
      }
      samples.push(await ask<MemorySample>(child, { kind: 'sample' }));
    }
    if (child.connected) child.send({ kind: 'exit' } satisfies MemoryRequest);
    const built = await builtAgentRss(cluster.jwksFile, firstStep);
    const [ten, fifty] = samples as [MemorySample, MemorySample];
    const perIdentity = (s: MemorySample, field: 'heapUsed' | 'external') =>
      (s[field] - idle[field]) / s.identities;
    return [
      figure(NAME, 'heap idle', idle.heapUsed / MiB, 'MiB'),
      figure(NAME, 'RSS idle', idle.rss / MiB, 'MiB'),
      figure(NAME, 'heap with 10,000 identities', ten.heapUsed / MiB, 'MiB'),
      figure(NAME, 'heap committed with 10,000 identities', ten.heapTotal / MiB, 'MiB'),
      figure(NAME, 'RSS with 10,000 identities', ten.rss / MiB, 'MiB'),
      figure(NAME, 'heap with 50,000 identities', fifty.heapUsed / MiB, 'MiB'),
      figure(NAME, 'RSS with 50,000 identities', fifty.rss / MiB, 'MiB'),
      figure(NAME, 'heap per identity (10,000)', perIdentity(ten, 'heapUsed'), 'bytes', atMost(4096, ' B')),
      figure(NAME, 'heap per identity (50,000)', perIdentity(fifty, 'heapUsed'), 'bytes', atMost(4096, ' B')),
      figure(NAME, 'token length (ES256)', tokenChars, 'chars'),
      figure(NAME, 'external (Buffers) per identity (10,000)', perIdentity(ten, 'external'), 'bytes'),
      figure(NAME, 'external (Buffers) per identity (50,000)', perIdentity(fifty, 'external'), 'bytes'),
      figure(NAME, 'built agent: RSS idle', built.idle / MiB, 'MiB'),
      figure(
        NAME,
        'built agent: RSS with 10,000 identities (HTTP)',
        built.filled / MiB,
        'MiB',
        atMost(120, ' MiB'),
      ),
    ];
  } finally {
    if (child.connected) child.send({ kind: 'exit' } satisfies MemoryRequest);
    await cluster.cleanup();
  }
}

/** Scenario 5 of `npm run bench` (docs/performance.md). */
export const memory: Scenario = {
  name: NAME,
  title: 'heap and RSS with 0, 10,000 and 50,000 identities',
  run,
};
