/**
 * Named network namespaces (`ip netns`) for the simulated node: create, run in, delete,
 * and a probe that says why they cannot be used here. Every namespace this module creates is named
 * `pin-<pid>-...` and removed by {@link deleteNamespace}, on process exit, or by the next run once
 * its owning process is gone.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { isAlive } from './pid.js';

/** Prefix of every namespace made here; the pid after it says who owns it. */
export const NAMESPACE_PREFIX = 'pin-';

const created = new Set<string>();
let exitHookInstalled = false;

/** The command prefix that runs a program inside namespace `ns`. */
export function inNamespace(ns: string): readonly string[] {
  return ['ip', 'netns', 'exec', ns];
}

/** Runs `ip <args>`; rejects with its stderr on failure. */
export function ip(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

/** Runs `program args` inside `ns`; rejects with its stderr on failure. */
export function execIn(ns: string, program: string, args: readonly string[]): Promise<string> {
  return ip(['netns', 'exec', ns, program, ...args]);
}

/**
 * Why named network namespaces cannot be used here, or undefined when they can: needs root (or
 * CAP_SYS_ADMIN + CAP_NET_ADMIN) and `ip` from iproute2.
 */
export function namespaceProblem(): string | undefined {
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    return 'the simulated node needs root (ip netns add); skipping';
  const name = `${NAMESPACE_PREFIX}${process.pid}-probe`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.error !== undefined) return `ip cannot run: ${add.error.message}`;
  if (add.status !== 0) return `network namespaces are not permitted: ${add.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', name]);
  return undefined;
}

/** Creates namespace `name` with `lo` up, after removing namespaces left by dead test runs. */
export async function createNamespace(name: string): Promise<void> {
  removeOrphans();
  installExitHook();
  await ip(['netns', 'add', name]);
  created.add(name);
  await ip(['-n', name, 'link', 'set', 'lo', 'up']);
}

/** Deletes namespace `name` (its veth pairs go with it). Idempotent. */
export async function deleteNamespace(name: string): Promise<void> {
  if (!created.delete(name)) return;
  await ip(['netns', 'del', name]).catch(() => undefined);
}

/** Writes a sysctl inside `ns` (e.g. `net.ipv6.conf.all.disable_ipv6`). */
export async function sysctl(ns: string, key: string, value: string): Promise<void> {
  await execIn(ns, 'sysctl', ['-q', '-w', `${key}=${value}`]);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A run that dies half-way must not leave namespaces behind.
  process.once('exit', () => {
    for (const name of created) spawnSync('ip', ['netns', 'del', name]);
  });
}

/** Namespaces named `pin-<pid>-...` whose pid no longer runs were left by a crashed run. */
function removeOrphans(): void {
  let names: string[];
  try {
    names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.split(' ')[0] ?? '');
  } catch {
    return;
  }
  for (const name of names) {
    const pid = new RegExp(`^${NAMESPACE_PREFIX}(\\d+)-`).exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || isAlive(Number(pid))) continue;
    spawnSync('ip', ['netns', 'del', name]);
  }
}
