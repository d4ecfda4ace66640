import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { percentile } from './stats.js';

/** Load generator settings shared by every target of a comparison. */
export interface LoadSettings {
  readonly connections: number;
  /** Seconds of measurement. */
  readonly durationS: number;
  /** Seconds of warm-up before it (not measured). */
  readonly warmupS: number;
}

/** What one measured run gives. Latencies in milliseconds, from every 2xx response (not the histogram's whole ms). */
export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
  /**
   * CPU time the server process spent per request, microseconds (user + system, from /proc; NaN
   * where there is none). Unlike requests/s, barely moved by other work on the machine.
   */
  readonly cpuUsPerRequest: number;
  /** The kernel's part of it (system time: socket reads and writes, accept), microseconds. */
  readonly systemUsPerRequest: number;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** User and system CPU milliseconds of process `pid` so far; NaN without /proc. */
export function processCpuSplitMs(pid: number | undefined): { user: number; system: number } {
  if (pid === undefined) return { user: Number.NaN, system: Number.NaN };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      user: (Number(fields[11]) * 1000) / TICKS_PER_SECOND,
      system: (Number(fields[12]) * 1000) / TICKS_PER_SECOND,
    };
  } catch {
    return { user: Number.NaN, system: Number.NaN };
  }
}

/** User + system CPU milliseconds of process `pid` so far; NaN without /proc. */
export function processCpuMs(pid: number | undefined): number {
  const { user, system } = processCpuSplitMs(pid);
  return user + system;
}

function once(
  url: string,
  headers: Record<string, string>,
  connections: number,
  durationS: number,
  overallRate: number | undefined,
  latencies: number[] | undefined,
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        headers,
        connections,
        duration: durationS,
        ...(overallRate === undefined ? {} : { overallRate }),
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    if (latencies !== undefined)
      instance.on('response', (_client, statusCode, _bytes, responseTime) => {
        if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
      });
  });
}

/**
 * Warms up, then measures `url` with autocannon (fixed connections and duration; with
 * `overallRate`, a fixed request rate over all connections instead of as fast as possible).
 */
export async function measure(
  url: string,
  headers: Record<string, string>,
  settings: LoadSettings,
  overallRate?: number,
  serverPid?: number,
): Promise<LoadResult> {
  if (settings.warmupS > 0)
    await once(url, headers, settings.connections, settings.warmupS, overallRate, undefined);
  const latencies: number[] = [];
  const before = processCpuSplitMs(serverPid);
  const result = await once(url, headers, settings.connections, settings.durationS, overallRate, latencies);
  const after = processCpuSplitMs(serverPid);
  const perRequest = (ms: number) => (ms * 1000) / result.requests.total;
  return {
    requestsPerSecond: result.requests.total / settings.durationS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuUsPerRequest: perRequest(after.user + after.system - before.user - before.system),
    systemUsPerRequest: perRequest(after.system - before.system),
  };
}
