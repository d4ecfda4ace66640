import { type ChildProcess, spawn } from 'node:child_process';
import { AGENT_MAIN } from '../test-support/agent-process.js';
import { freePorts } from '../test-support/loopback.js';
import { NODE_CREDENTIALS } from './cluster.js';
import { httpGet } from './http-get.js';

/**
 * Node flags the image starts the agent with (Dockerfile ENTRYPOINT; keep the two equal): a 1 MiB
 * semi-space, an old generation grown 20 % past what the last full collection kept, and no memory
 * reducer. Without the first two V8 sizes the young generation from the machine's memory (16 MiB
 * semi-spaces on this 24 GiB machine, ~25 MiB more RSS with 10,000 identities) and lets a growing old
 * generation reach up to 4 times its live size (7-20 MiB more), so the benchmarks would not describe
 * the shipped process. The memory reducer's collections, once the process has idled 8 s, left every
 * later hit 3-5 µs of CPU dearer (docs/performance.md, fifth session).
 */
export const AGENT_NODE_FLAGS: readonly string[] = Object.freeze([
  '--max-semi-space-size=1',
  '--heap-growing-percent=20',
  '--no-memory-reducer',
]);

/** The built agent running for a benchmark. */
export interface LaunchedAgent {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>/v1/credentials`. */
  readonly url: string;
  readonly port: number;
  readonly probePort: number;
  /** Milliseconds from spawn to the first `/readyz` 200 (polled every `pollMs`). */
  readonly readyMs: number;
  stop(): Promise<void>;
}

/** Options of {@link launchAgent}. */
export interface LaunchOptions {
  /** Flags after the listener flags (see `agentArgs`). */
  readonly args: readonly string[];
  /** Node flags after {@link AGENT_NODE_FLAGS}, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  /** Interval of the readiness polls, milliseconds. Default 5. */
  readonly pollMs?: number;
}

/**
 * Spawns `node dist/agent/main.js server ...` on 127.0.0.1 and waits for `/readyz` 200. Its JSON log
 * goes to /dev/null (as fast a sink as a container runtime's pipe, and the load generator in this
 * process does not pay for reading it); stderr is kept for failures.
 */
export async function launchAgent(options: LaunchOptions): Promise<LaunchedAgent> {
  const [port, probePort] = (await freePorts(2)) as [number, number];
  const started = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [
      ...AGENT_NODE_FLAGS,
      ...(options.nodeArgs ?? []),
      // BENCH_AGENT_NODE_ARGS='--max-semi-space-size=16': Node flags for ablations (after the image's own).
      ...(process.env.BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
      // BENCH_CPU_PROF=<dir>: every agent the benchmarks start writes a V8 CPU profile there on exit.
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []),
      // BENCH_AGENT_MAIN=<dist/agent/main.js of another build>: the same benchmarks against it (before/after).
      process.env.BENCH_AGENT_MAIN || AGENT_MAIN,
      'server',
      '--bind-hosts',
      '127.0.0.1',
      '--port',
      String(port),
      '--probe-address',
      '127.0.0.1',
      '--probe-port',
      String(probePort),
      '--metrics-port',
      '0',
      ...options.args,
      // BENCH_AGENT_ARGS='--log-level warn': extra flags for ablations (what does the audit line cost?).
      ...(process.env.BENCH_AGENT_ARGS ?? '').split(' ').filter((a) => a !== ''),
    ],
    {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        AWS_ACCESS_KEY_ID: NODE_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: NODE_CREDENTIALS.secretAccessKey,
        AWS_REGION: 'us-east-1',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  let readyMs = 0;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode}: ${stderr}`);
    try {
      const response = await httpGet(`http://127.0.0.1:${probePort}/readyz`);
      if (response.status === 200) {
        readyMs = Number(process.hrtime.bigint() - started) / 1e6;
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`agent not ready within 30 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 5));
  }
  return {
    child,
    url: `http://127.0.0.1:${port}/v1/credentials`,
    port,
    probePort,
    readyMs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
