import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The cgroup v1 cpu controller's mount point. */
const CPU_CONTROLLER = '/sys/fs/cgroup/cpu';
const PERIOD_US = 100_000;

/** A cgroup v1 cpu cgroup with a CFS quota, for one benchmark run. */
export interface CpuCgroup {
  /** Moves every thread of process `pid` into the cgroup. */
  add(pid: number): void;
  /** Throttled periods and time so far (cpu.stat). */
  stat(): { readonly periods: number; readonly throttledPeriods: number; readonly throttledMs: number };
  /** Removes the cgroup (its processes must have exited). */
  remove(): void;
}

/** Why a CPU-limited run cannot happen here, or undefined when it can. */
export function cpuCgroupProblem(): string | undefined {
  if (!existsSync(join(CPU_CONTROLLER, 'cpu.cfs_quota_us')))
    return `no cgroup v1 cpu controller at ${CPU_CONTROLLER}`;
  try {
    const probe = join(CPU_CONTROLLER, `pia-bench-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
    return undefined;
  } catch (error) {
    return `${CPU_CONTROLLER} is not writable here (${(error as Error).message}); run as root`;
  }
}

/** Creates a cpu cgroup limited to `cpus` CPUs (CFS quota over a 100 ms period). */
export function createCpuCgroup(cpus: number): CpuCgroup {
  const dir = join(CPU_CONTROLLER, `pia-bench-${process.pid}-${Date.now()}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
  writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(Math.round(cpus * PERIOD_US)));
  return {
    add: (pid) => writeFileSync(join(dir, 'cgroup.procs'), String(pid)),
    stat() {
      const fields = new Map(
        readFileSync(join(dir, 'cpu.stat'), 'utf8')
          .trim()
          .split('\n')
          .map((line) => line.split(' ') as [string, string]),
      );
      return {
        periods: Number(fields.get('nr_periods')),
        throttledPeriods: Number(fields.get('nr_throttled')),
        throttledMs: Number(fields.get('throttled_time')) / 1e6,
      };
    },
    remove: () => rmdirSync(dir),
  };
}

/** Parses a Kubernetes CPU quantity (`"1"`, `500m`, `0.5`) to CPUs. */
export function parseCpuQuantity(quantity: string | number): number {
  const text = String(quantity);
  const cpus = text.endsWith('m') ? Number(text.slice(0, -1)) / 1000 : Number(text);
  if (!Number.isFinite(cpus) || cpus <= 0) throw new Error(`not a CPU quantity: ${text}`);
  return cpus;
}

/** The CPU limit of the agent's container in the DaemonSet manifest `file`, in CPUs. */
export function daemonSetCpuLimit(file: string, container = 'pod-identity-agent'): number {
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const object = doc.toJS() as {
      kind?: string;
      spec?: {
        template?: { spec?: { containers?: { name: string; resources?: { limits?: { cpu?: string } } }[] } };
      };
    } | null;
    if (object?.kind !== 'DaemonSet') continue;
    const found = object.spec?.template?.spec?.containers?.find((c) => c.name === container);
    const limit = found?.resources?.limits?.cpu;
    if (limit !== undefined) return parseCpuQuantity(limit);
  }
  throw new Error(`no CPU limit for container ${container} in ${file}`);
}
