/**
 * `node dist/bench/pod-flood.js [count]`: the pod-flood measurement. Sends `count` (default
 * 100,000) distinct well-signed tokens for pods that do not exist through the credentials app with
 * the informer pod check on, and prints the heap before and after (after a forced GC when run with
 * `--expose-gc`), the answers, upstream calls and TokenReviews. Agent defaults for every bound.
 */
import { prepareFlood } from '../test-support/pod-flood.js';

const count = Number(process.argv[2] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = () => {
  gc?.();
  return Math.round((process.memoryUsage().heapUsed / 2 ** 20) * 10) / 10;
};

process.stderr.write(`minting ${count} tokens...\n`);
const flood = await prepareFlood(count, { verifierMemo: 10_000, reviewMemo: 10_000, cacheEntries: 10_000 });
const before = heapMb();
const started = Date.now();
const result = await flood.run();
const seconds = (Date.now() - started) / 1000;
const after = heapMb();
await flood.close();
process.stdout.write(
  `${JSON.stringify({ ...result, seconds, heapBeforeMb: before, heapAfterMb: after, gc: gc !== undefined }, null, 2)}\n`,
);
