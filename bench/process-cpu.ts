import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux builds we run on). */
const USER_HZ = 100;

/**
 * CPU time (user + system, all threads) used so far by process `pid`, in milliseconds, from
 * /proc/<pid>/stat; NaN where there is no /proc. A figure the other load on a shared machine moves
 * far less than wall-clock latencies.
 */
export function processCpuMs(pid: number | undefined): number {
  return statCpuMs(pid === undefined ? undefined : `/proc/${pid}/stat`);
}

/** The same for the main thread of process `pid` alone (its event loop; not V8's or libuv's helper threads). */
export function mainThreadCpuMs(pid: number | undefined): number {
  return statCpuMs(pid === undefined ? undefined : `/proc/${pid}/task/${pid}/stat`);
}

function statCpuMs(file: string | undefined): number {
  if (file === undefined) return Number.NaN;
  try {
    const fields = readFileSync(file, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // Fields 14 and 15 of stat(5) (utime, stime); index 11 and 12 after the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
  } catch {
    return Number.NaN;
  }
}
