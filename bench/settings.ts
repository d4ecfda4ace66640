import type { LoadSettings } from './load.js';

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

/**
 * Load generator settings of the hit-path comparison, the same for every target. Override with
 * BENCH_CONNECTIONS (default 10), BENCH_DURATION (seconds, default 5), BENCH_WARMUP (seconds,
 * default 1); BENCH_ROUNDS (default 5) rounds, each over fresh processes of every target.
 */
export function hitPathSettings(): LoadSettings & { readonly rounds: number } {
  return {
    connections: envNumber('BENCH_CONNECTIONS', 10),
    durationS: envNumber('BENCH_DURATION', 5),
    warmupS: envNumber('BENCH_WARMUP', 1),
    rounds: envNumber('BENCH_ROUNDS', 5),
  };
}

/** Runs of the start-up measurement (BENCH_STARTUP_RUNS, default 7). */
export function startupRuns(): number {
  return envNumber('BENCH_STARTUP_RUNS', 7);
}
