/**
 * A real HTTP forward proxy for tests: Debian's tinyproxy (installed by .ci/setup.d/12-tinyproxy.sh),
 * started in the foreground on 127.0.0.1 with its own configuration in a temporary folder. It opens
 * its upstream connections from `outgoingAddress` (another loopback address), so a server can tell a
 * call that came through the proxy from a direct one by its source address.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './loopback.js';

/** The source address of the proxy's upstream connections. */
export const PROXY_OUTGOING_ADDRESS = '127.0.0.2';

/** Why tinyproxy cannot run here, or undefined when it can. */
export function tinyproxyProblem(): string | undefined {
  const probe = spawnSync('tinyproxy', ['-v'], { encoding: 'utf8' });
  if (probe.error !== undefined)
    return `tinyproxy is not installed (.ci/setup.d/12-tinyproxy.sh): ${probe.error.message}`;
  return undefined;
}

/** A running proxy. */
export interface Tinyproxy {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The CONNECT targets (`host:port`) the proxy has logged so far. */
  connects(): string[];
  stop(): Promise<void>;
}

/** Starts tinyproxy and resolves once it accepts connections (10 s at most). */
export async function startTinyproxy(): Promise<Tinyproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'pia-tinyproxy-'));
  const port = await freePort();
  const logFile = join(dir, 'tinyproxy.log');
  const user = process.getuid?.() === 0 ? ['User nobody', 'Group nogroup'] : [];
  writeFileSync(
    join(dir, 'tinyproxy.conf'),
    [
      `Port ${port}`,
      'Listen 127.0.0.1',
      `Bind ${PROXY_OUTGOING_ADDRESS}`,
      'Allow 127.0.0.1',
      'Timeout 30',
      'MaxClients 20',
      // No ConnectPort line: CONNECT is allowed to any port (the stand-ins listen on free ports).
      `LogFile "${logFile}"`,
      'LogLevel Connect',
      ...user,
      '',
    ].join('\n'),
  );
  // The log file must be writable by the user tinyproxy drops to when started as root.
  chmodSync(dir, 0o755);
  writeFileSync(logFile, '');
  chmodSync(logFile, 0o666);
  const child: ChildProcess = spawn('tinyproxy', ['-d', '-c', join(dir, 'tinyproxy.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`tinyproxy did not start: ${stderr.join('').trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    connects: () =>
      [...readFileSync(logFile, 'utf8').matchAll(/Request \([^)]*\): CONNECT (\S+)/g)].map(
        (m) => m[1] as string,
      ),
    stop,
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
