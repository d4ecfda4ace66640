import { type ChildProcess, fork } from 'node:child_process';
import { BENCH_AUDIENCE, BENCH_ISSUER, createBenchCluster } from './cluster.js';
import { SESSION_TOKEN_BYTES } from './instant-upstream.js';
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
 * Memory (issue 7 §5): heap and RSS of the agent's app idle and with 10,000 and 50,000 cached
 * identities. The child (--expose-gc) loads only what the agent loads; this process mints the
 * ES256 tokens (RS256 would take minutes for 50,000) and hands them over, so no signing work or
 * test helper grows the measured process. Each identity is one request through the credentials
 * route, so the verifier's memo (bounded at 10,000 tokens), the cache entry, the response body and
 * the audit line's fragments are all counted.
 */
async function run(): Promise<Figure[]> {
  const cluster = await createBenchCluster('ES256');
  const child = fork(new URL('./memory-child.js', import.meta.url), [], {
    execArgv: ['--expose-gc'],
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
    let filled = 0;
    let tokenChars = 0;
    for (const target of STEPS) {
      while (filled < target) {
        const count = Math.min(BATCH, target - filled);
        const tokens = await Promise.all(
          Array.from({ length: count }, (_, i) => cluster.token(`mem-pod-${filled + i}`)),
        );
        tokenChars = tokens[0]?.length ?? tokenChars;
        await ask(child, { kind: 'serve', tokens });
        filled += count;
      }
      samples.push(await ask<MemorySample>(child, { kind: 'sample' }));
    }
    const [ten, fifty] = samples as [MemorySample, MemorySample];
    const perIdentity = (s: MemorySample, field: 'heapUsed' | 'external') =>
      (s[field] - idle[field]) / s.identities;
    return [
      figure(NAME, 'heap idle', idle.heapUsed / MiB, 'MiB'),
      figure(NAME, 'RSS idle', idle.rss / MiB, 'MiB'),
      figure(NAME, 'heap with 10,000 identities', ten.heapUsed / MiB, 'MiB'),
      figure(NAME, 'heap committed with 10,000 identities', ten.heapTotal / MiB, 'MiB'),
      figure(NAME, 'RSS with 10,000 identities', ten.rss / MiB, 'MiB', atMost(120, ' MiB')),
      figure(NAME, 'heap with 50,000 identities', fifty.heapUsed / MiB, 'MiB'),
      figure(NAME, 'RSS with 50,000 identities', fifty.rss / MiB, 'MiB'),
      figure(NAME, 'heap per identity (10,000)', perIdentity(ten, 'heapUsed'), 'bytes', atMost(4096, ' B')),
      figure(NAME, 'heap per identity (50,000)', perIdentity(fifty, 'heapUsed'), 'bytes', atMost(4096, ' B')),
      figure(NAME, 'token length (ES256)', tokenChars, 'chars'),
      figure(NAME, 'external (Buffers) per identity (10,000)', perIdentity(ten, 'external'), 'bytes'),
      figure(NAME, 'external (Buffers) per identity (50,000)', perIdentity(fifty, 'external'), 'bytes'),
    ];
  } finally {
    if (child.exitCode === null) child.send({ kind: 'exit' } satisfies MemoryRequest);
    await cluster.cleanup();
  }
}

/** Scenario 5 of issue 7. */
export const memory: Scenario = {
  name: NAME,
  title: 'heap and RSS with 0, 10,000 and 50,000 identities',
  run,
};
