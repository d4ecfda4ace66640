/**
 * Starts the built agent (`dist/agent/main.js`) as a real process, exactly as docs/configuration.md shows, and
 * collects its JSON log lines. Used by the integration tests and the demo.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePorts } from './loopback.js';

/** Path of the built CLI, from test-support/ (vitest) or from dist/test-support/ (the built demo). */
export const AGENT_MAIN = fileURLToPath(
  new URL(
    import.meta.url.includes('/dist/test-support/') ? '../agent/main.js' : '../dist/agent/main.js',
    import.meta.url,
  ),
);

/** A running agent process. */
export interface AgentProcess {
  /** Credentials port on `host`. */
  readonly port: number;
  readonly host: string;
  readonly probePort: number;
  readonly metricsPort: number;
  /** `http://<host>:<port>/v1/credentials`. */
  readonly url: string;
  /** Every stdout and stderr line so far (JSON log lines from stdout). */
  readonly lines: readonly string[];
  readonly child: ChildProcess;
  /** Resolves with the exit code once the process ends. */
  readonly exited: Promise<number | null>;
  /** Fetches `/metrics` text. */
  metrics(): Promise<string>;
  /** Sends SIGTERM and waits for the exit code. */
  stop(): Promise<number | null>;
}

/** Options of {@link startAgent}. */
export interface StartAgentOptions {
  /** Flags after `server` (the listener and probe flags are added unless given). */
  readonly args: readonly string[];
  /** Environment of the agent (the node's AWS credentials, region...). PATH is added. */
  readonly env?: Readonly<Record<string, string>>;
  /** `--bind-hosts` (comma-separated; `url` uses the first). Default `127.0.0.1`. */
  readonly host?: string;
  /** Fixed credentials port; default a free one. */
  readonly port?: number;
  /** Milliseconds to wait for `/readyz`. Default 15000. */
  readonly readyTimeoutMs?: number;
  /** Wait for `/readyz` 200 (default) or only for `/healthz`. */
  readonly waitFor?: 'ready' | 'live';
  /** Command the agent runs under, e.g. `['ip', 'netns', 'exec', ns]`. Default none. */
  readonly commandPrefix?: readonly string[];
  /** Fixed probe and metrics ports (where the agent listens). Default free ones. */
  readonly probePort?: number;
  readonly metricsPort?: number;
  /** Base URLs through which this process reaches the probe and metrics ports (e.g. across a namespace bridge). Default `http://127.0.0.1:<port>`. */
  readonly probeBase?: string;
  readonly metricsBase?: string;
}

/** Starts `node dist/agent/main.js server ...` and waits until it is ready. */
export async function startAgent(options: StartAgentOptions): Promise<AgentProcess> {
  const host = options.host ?? '127.0.0.1';
  const free = await freePorts(3);
  const port = options.port ?? (free[0] as number);
  const probePort = options.probePort ?? (free[1] as number);
  const metricsPort = options.metricsPort ?? (free[2] as number);
  const probeBase = options.probeBase ?? `http://127.0.0.1:${probePort}`;
  const metricsBase = options.metricsBase ?? `http://127.0.0.1:${metricsPort}`;
  const args = [
    AGENT_MAIN,
    'server',
    '--bind-hosts',
    host,
    '--port',
    String(port),
    '--probe-address',
    '127.0.0.1',
    '--probe-port',
    String(probePort),
    '--metrics-address',
    '127.0.0.1',
    '--metrics-port',
    String(metricsPort),
    ...options.args,
  ];
  const [program, ...prefixArgs] = [...(options.commandPrefix ?? []), process.execPath];
  const child = spawn(program as string, [...prefixArgs, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let rest = '';
    stream?.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts.filter((l) => l.length > 0));
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const probe = `${probeBase}/${options.waitFor === 'live' ? 'healthz' : 'readyz'}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 15_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode}:\n${lines.join('\n')}`);
    try {
      const response = await fetch(probe, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`agent not ready within the deadline:\n${lines.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const first = (host.split(',')[0] ?? host).replace(/^\[(.*)\]$/, '$1');
  const urlHost = first.includes(':') ? `[${first}]` : first;
  return {
    port,
    host,
    probePort,
    metricsPort,
    url: `http://${urlHost}:${port}/v1/credentials`,
    lines,
    child,
    exited,
    metrics: async () => (await fetch(`${metricsBase}/metrics`)).text(),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
