/**
 * `npm run bench [scenario...]`: runs the scenarios of docs/performance.md (all by default, or the named ones),
 * prints each figure with its target and verdict, and writes bench/results.json.
 */
import { fileURLToPath } from 'node:url';
import { burst } from './burst.js';
import { economy } from './economy.js';
import { hitPath } from './hit-path.js';
import { memory } from './memory.js';
import { missOverhead } from './miss-overhead.js';
import { type Figure, formatMarkdown, formatTable, machine, type Scenario, writeResults } from './report.js';
import { startup } from './startup.js';

const SCENARIOS: readonly Scenario[] = [hitPath, missOverhead, burst, economy, memory, startup];

const args = process.argv.slice(2);
const markdown = args.includes('--markdown');
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}\n`,
  );
  process.exit(2);
}
const chosen = names.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => names.includes(s.name));
const figures: Figure[] = [];
for (const scenario of chosen) {
  process.stderr.write(`running ${scenario.name}: ${scenario.title}\n`);
  const started = Date.now();
  figures.push(...(await scenario.run()));
  process.stderr.write(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
process.stdout.write(`\n${formatTable(figures)}\n\nmachine: ${JSON.stringify(machine())}\n`);
if (markdown) process.stdout.write(`\n${formatMarkdown(figures)}\n`);
const resultsPath = fileURLToPath(new URL('../../bench/results.json', import.meta.url));
writeResults(
  resultsPath,
  chosen.map((s) => s.name),
  figures,
);
process.stdout.write(`results: ${resultsPath}\n`);
const failed = figures.filter((f) => f.pass === false).length;
if (failed > 0) process.stdout.write(`${failed} figure(s) miss their target\n`);
