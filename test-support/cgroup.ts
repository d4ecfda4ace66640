/**
 * cgroup v1 memory (and cpu) cgroups for the memory attacks: the built agent runs inside one with the
 * DaemonSet's limits, so a test sees what the kubelet would (an OOM kill, or not). Every cgroup made
 * here is named `pin-<pid>-...`, removed by {@link Cgroup.remove}, on process exit, or by the next run
 * once its owning process is gone. Needs root and a writable `/sys/fs/cgroup/memory`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from './pid.js';

const MEMORY_ROOT = '/sys/fs/cgroup/memory';
const CPU_ROOT = '/sys/fs/cgroup/cpu';
/** Prefix of every cgroup made here; the pid after it says who owns it. */
export const CGROUP_PREFIX = 'pin-';

/** The memory limit of the agent container in manifests/base/daemonset.yaml (256Mi). */
export const DAEMONSET_MEMORY_BYTES = 256 * 1024 * 1024;
/** The CPU limit of the agent container in manifests/base/daemonset.yaml ("1"), as a CFS quota per 100 ms. */
export const DAEMONSET_CPU_QUOTA_US = 100_000;

/** Memory figures of a cgroup, bytes and counts. */
export interface CgroupMemory {
  /** Current usage (`memory.usage_in_bytes`). */
  readonly usage: number;
  /** Peak usage since creation (`memory.max_usage_in_bytes`). */
  readonly peak: number;
  /** Times usage hit the limit (`memory.failcnt`). */
  readonly failures: number;
  /** Processes the kernel's OOM killer ended in this cgroup (`oom_kill` of `memory.oom_control`). */
  readonly oomKills: number;
}

/** One cgroup in the memory (and, where present, cpu) hierarchy. */
export interface Cgroup {
  readonly name: string;
  /** A command prefix that moves itself into the cgroup, then execs the command (no race at spawn). */
  readonly commandPrefix: readonly string[];
  memory(): CgroupMemory;
  /** Starts `peak` over from the current usage. */
  resetPeak(): void;
  /** Removes the cgroup once its processes are gone. Idempotent. */
  remove(): void;
}

const created = new Set<string>();
let exitHookInstalled = false;

/** Why memory cgroups cannot be made here, or undefined when they can. */
export function cgroupProblem(): string | undefined {
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    return 'memory cgroups need root; skipping';
  if (!existsSync(join(MEMORY_ROOT, 'cgroup.procs')))
    return `no cgroup v1 memory hierarchy at ${MEMORY_ROOT}`;
  const probe = join(MEMORY_ROOT, `${CGROUP_PREFIX}${process.pid}-probe`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
  } catch (error) {
    return `cannot create a memory cgroup: ${(error as Error).message}`;
  }
  return undefined;
}

/** Creates cgroup `pin-<pid>-<suffix>` with `memoryBytes` as its hard limit (no swap) and an optional CPU quota. */
export function createCgroup(suffix: string, limits: { memoryBytes: number; cpuQuotaUs?: number }): Cgroup {
  removeOrphans();
  installExitHook();
  const name = `${CGROUP_PREFIX}${process.pid}-${suffix}`;
  const memory = join(MEMORY_ROOT, name);
  mkdirSync(memory);
  created.add(name);
  writeFileSync(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
  // Without swap accounting the file is absent; there is no swap on these machines anyway.
  if (existsSync(join(memory, 'memory.memsw.limit_in_bytes')))
    writeFileSync(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
  const procs = [join(memory, 'cgroup.procs')];
  if (limits.cpuQuotaUs !== undefined && existsSync(CPU_ROOT)) {
    const cpu = join(CPU_ROOT, name);
    mkdirSync(cpu, { recursive: true });
    writeFileSync(join(cpu, 'cpu.cfs_period_us'), '100000');
    writeFileSync(join(cpu, 'cpu.cfs_quota_us'), String(limits.cpuQuotaUs));
    procs.push(join(cpu, 'cgroup.procs'));
  }
  const read = (file: string) => readFileSync(join(memory, file), 'utf8');
  return {
    name,
    commandPrefix: ['sh', '-c', `${procs.map((p) => `echo $$ > ${p}`).join(' && ')} && exec "$@"`, 'sh'],
    memory: () => ({
      usage: Number(read('memory.usage_in_bytes')),
      peak: Number(read('memory.max_usage_in_bytes')),
      failures: Number(read('memory.failcnt')),
      oomKills: Number(/oom_kill (\d+)/.exec(read('memory.oom_control'))?.[1] ?? 0),
    }),
    resetPeak: () => writeFileSync(join(memory, 'memory.max_usage_in_bytes'), '0'),
    remove: () => removeCgroup(name),
  };
}

function removeCgroup(name: string): void {
  if (!created.delete(name)) return;
  for (const root of [MEMORY_ROOT, CPU_ROOT]) {
    try {
      rmdirSync(join(root, name));
    } catch {
      // absent (no cpu hierarchy) or still busy: the next run's orphan sweep removes it
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const name of [...created]) removeCgroup(name);
  });
}

/** Cgroups named `pin-<pid>-...` whose pid no longer runs were left by a crashed run. */
function removeOrphans(): void {
  for (const root of [MEMORY_ROOT, CPU_ROOT]) {
    let names: string[];
    try {
      names = readdirSync(root);
    } catch {
      continue;
    }
    for (const name of names) {
      const pid = new RegExp(`^${CGROUP_PREFIX}(\\d+)-`).exec(name)?.[1];
      if (pid === undefined || Number(pid) === process.pid || isAlive(Number(pid))) continue;
      try {
        rmdirSync(join(root, name));
      } catch {
        // still has processes
      }
    }
  }
}
