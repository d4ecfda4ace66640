import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** One measured figure, with its target when the issue sets one. */
export interface Figure {
  readonly scenario: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** Human-readable target, e.g. `≥ 0.90`; absent for context figures. */
  readonly target?: string;
  /** Verdict against the target; absent for context figures. */
  readonly pass?: boolean;
}

/** A benchmark scenario, runnable alone (`node dist/bench/run.js <name>`). */
export interface Scenario {
  readonly name: string;
  readonly title: string;
  run(): Promise<Figure[]>;
}

/** Builds a figure checked against `target`; `check` decides the verdict. */
export function figure(
  scenario: string,
  name: string,
  value: number,
  unit: string,
  target?: { readonly text: string; readonly check: (v: number) => boolean },
): Figure {
  return target === undefined
    ? { scenario, name, value, unit }
    : { scenario, name, value, unit, target: target.text, pass: target.check(value) };
}

/** Target helpers. */
export const atMost = (limit: number, unit = '') => ({
  text: `≤ ${limit}${unit}`,
  check: (v: number) => v <= limit,
});
export const atLeast = (limit: number, unit = '') => ({
  text: `≥ ${limit}${unit}`,
  check: (v: number) => v >= limit,
});
export const exactly = (value: number) => ({ text: `= ${value}`, check: (v: number) => v === value });
export const below = (limit: number, what: string) => ({
  text: `< ${what} (${format(limit)})`,
  check: (v: number) => v < limit,
});

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return Math.abs(value) >= 100
    ? value.toFixed(0)
    : Math.abs(value) >= 1
      ? value.toFixed(2)
      : value.toFixed(3);
}

/** The results table as fixed-width text: scenario, figure, value, unit, target, verdict. */
export function formatTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.scenario,
    f.name,
    format(f.value),
    f.unit,
    f.target ?? '',
    f.pass === undefined ? '' : f.pass ? 'PASS' : 'FAIL',
  ]);
  const header = ['scenario', 'figure', 'value', 'unit', 'target', 'verdict'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 2 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The same table as Markdown, for docs/performance.md. */
export function formatMarkdown(figures: readonly Figure[]): string {
  const rows = figures.map(
    (f) =>
      `| ${f.scenario} | ${f.name} | ${format(f.value)} | ${f.unit} | ${f.target ?? ''} | ${f.pass === undefined ? '' : f.pass ? 'PASS' : 'FAIL'} |`,
  );
  return [
    '| scenario | figure | value | unit | target | verdict |',
    '|---|---|--:|---|---|---|',
    ...rows,
  ].join('\n');
}

/** The machine the figures come from. */
export function machine(): Record<string, unknown> {
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
}

/**
 * Writes `path` with the figures of this run merged over an earlier file's: running one scenario
 * alone replaces only that scenario's figures.
 */
export function writeResults(path: string, scenarios: readonly string[], figures: readonly Figure[]): void {
  let previous: Figure[] = [];
  if (existsSync(path)) {
    try {
      previous = (JSON.parse(readFileSync(path, 'utf8')) as { figures?: Figure[] }).figures ?? [];
    } catch {
      previous = [];
    }
  }
  const kept = previous.filter((f) => !scenarios.includes(f.scenario));
  const result = { date: new Date().toISOString(), machine: machine(), figures: [...kept, ...figures] };
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
}
