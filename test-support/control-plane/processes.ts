/**
 * Starts and stops the control plane's two processes. They run detached, writing to log files in the
 * data folder (not pipes), so that a shared control plane outlives the test file that started it.
 */
import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Starts `binary args…` detached, output appended to `logFile`; resolves its pid. */
export function startDetached(binary: string, args: readonly string[], logFile: string): number {
  const log = openSync(logFile, 'a');
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  if (child.pid === undefined) throw new Error(`${binary} did not start`);
  return child.pid;
}

/** True while process `pid` exists and has not exited (a zombie whose parent is gone counts as exited). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readFileSyncOrEmpty(`/proc/${pid}/stat`);
  return !/^\d+ \(.*\) Z/.test(stat);
}

function readFileSyncOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** SIGTERM, then SIGKILL after `graceMs` (default 5000); resolves when the process is gone. */
export async function stopProcess(
  pid: number,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 5000,
): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  let killed = false;
  while (isRunning(pid)) {
    if (Date.now() > deadline && !killed) {
      process.kill(pid, 'SIGKILL');
      killed = true;
    }
    if (Date.now() > deadline + 5000) throw new Error(`process ${pid} did not exit after SIGKILL`);
    await sleep(50);
  }
}

/** The etcd command line: one member, loopback only, no fsync (test data). */
export function etcdArgs(dataDir: string, clientPort: number, peerPort: number): string[] {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    ...['--data-dir', dataDir, '--listen-client-urls', client, '--advertise-client-urls', client],
    ...['--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer],
    ...['--initial-cluster', `default=${peer}`, '--unsafe-no-fsync', '--log-level', 'warn'],
  ];
}

/** TLS material to ask `/readyz` with. */
export interface ReadyzClient {
  readonly port: number;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

function readyzOnce(c: ReadyzClient): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port: c.port, path: '/readyz', ca: c.ca, cert: c.cert, key: c.key, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * Polls `/readyz` until it answers 200. Throws with the end of `logFile` when `pid` exits first or
 * `timeoutMs` passes.
 */
export async function waitForReadyz(
  c: ReadyzClient,
  pid: number,
  logFile: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await readyzOnce(c)) return;
    const why = !isRunning(pid) ? 'kube-apiserver exited' : Date.now() > deadline ? 'timed out' : undefined;
    if (why !== undefined) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      throw new Error(`${why} before /readyz answered; end of ${logFile}:\n${log.slice(-3000)}`);
    }
    await sleep(200);
  }
}

/** Log file names in the data folder. */
export const logFiles = (dir: string) => ({
  etcd: join(dir, 'etcd.log'),
  apiserver: join(dir, 'kube-apiserver.log'),
});
