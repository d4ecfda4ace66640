import { fork } from 'node:child_process';
import { atMost, type Figure, figure, type Scenario } from './report.js';

const NAME = 'memory';
const MiB = 2 ** 20;

interface Sample {
  readonly identities: number;
  readonly heapUsed: number;
  readonly rss: number;
  readonly external: number;
}

/**
 * Memory (issue 7 §5): heap and RSS of the agent's app idle and with 10,000 and 50,000 cached
 * identities (child process with --expose-gc; each identity went through the verifier and the cache,
 * so the verifier's memo, bounded at 10,000 tokens, is included).
 */
async function run(): Promise<Figure[]> {
  const child = fork(new URL('./memory-child.js', import.meta.url), ['10000', '50000'], {
    execArgv: ['--expose-gc'],
    stdio: 'inherit',
  });
  const { samples, tokenChars } = await new Promise<{ samples: Sample[]; tokenChars: number }>(
    (resolve, reject) => {
      child.once('message', (m) => resolve(m as { samples: Sample[]; tokenChars: number }));
      child.once('exit', (code) => reject(new Error(`memory child exited with ${code}`)));
    },
  );
  const [idle, ten, fifty] = samples as [Sample, Sample, Sample];
  const perIdentity = (s: Sample) => (s.heapUsed - idle.heapUsed) / s.identities;
  return [
    figure(NAME, 'heap idle', idle.heapUsed / MiB, 'MiB'),
    figure(NAME, 'RSS idle', idle.rss / MiB, 'MiB'),
    figure(NAME, 'heap with 10,000 identities', ten.heapUsed / MiB, 'MiB'),
    figure(NAME, 'RSS with 10,000 identities', ten.rss / MiB, 'MiB', atMost(120, ' MiB')),
    figure(NAME, 'heap with 50,000 identities', fifty.heapUsed / MiB, 'MiB'),
    figure(NAME, 'RSS with 50,000 identities', fifty.rss / MiB, 'MiB'),
    figure(NAME, 'heap per identity (10,000)', perIdentity(ten), 'bytes', atMost(4096, ' B')),
    figure(NAME, 'heap per identity (50,000)', perIdentity(fifty), 'bytes', atMost(4096, ' B')),
    figure(NAME, 'token length (ES256)', tokenChars, 'chars'),
    figure(
      NAME,
      'external (Buffers) per identity (50,000)',
      (fifty.external - idle.external) / fifty.identities,
      'bytes',
    ),
  ];
}

/** Scenario 5 of issue 7. */
export const memory: Scenario = {
  name: NAME,
  title: 'heap and RSS with 0, 10,000 and 50,000 identities',
  run,
};
