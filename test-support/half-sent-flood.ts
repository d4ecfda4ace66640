/**
 * A pod's memory attack on an HTTP listener: many connections, each sending most of a header section
 * and then nothing, reopened as soon as the server closes them. Bounded in time and in connection
 * attempts. For the attacks in test/integration/availability.test.ts.
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Options of {@link startHalfSentFlood}. */
export interface HalfSentFloodOptions {
  readonly port: number;
  /** Destination address. Default 127.0.0.1. */
  readonly host?: string;
  /** Source addresses (one per attacking pod), each in 127.0.0.0/8 on loopback. */
  readonly sources: readonly string[];
  /** Connections each source keeps open (reopening closed ones). */
  readonly perSource: number;
  /**
   * Bytes of header sent on each connection before it goes silent. Default 15 KiB (under the 16 KiB
   * cap); 0 sends nothing at all (for a TLS listener: a handshake that never starts).
   */
  readonly headerBytes?: number;
  /** The flood stops reopening after this long, milliseconds. */
  readonly durationMs: number;
  /** Most connection attempts in total. Default 200,000. */
  readonly maxAttempts?: number;
}

/** A running flood. */
export interface HalfSentFlood {
  /** Connections open now. */
  readonly open: number;
  /** Most connections open at once so far. */
  readonly peakOpen: number;
  /** Connections attempted so far. */
  readonly attempts: number;
  /** Resolves when the duration has passed; then closes every socket. */
  readonly done: Promise<void>;
  /** Stops at once and closes every socket. */
  stop(): void;
}

/** Starts the flood; it runs in this process's event loop until `durationMs` or {@link HalfSentFlood.stop}. */
export function startHalfSentFlood(options: HalfSentFloodOptions): HalfSentFlood {
  const host = options.host ?? '127.0.0.1';
  const maxAttempts = options.maxAttempts ?? 200_000;
  const head = `GET /v1/credentials HTTP/1.1\r\nHost: ${host}:${options.port}\r\nX-Pad: `;
  const headerBytes = options.headerBytes ?? 15 * 1024;
  const payload =
    headerBytes === 0
      ? Buffer.alloc(0)
      : Buffer.from(head + 'a'.repeat(Math.max(0, headerBytes - head.length)));
  const sockets = new Set<Socket>();
  let attempts = 0;
  let peakOpen = 0;
  let stopped = false;

  const open = (localAddress: string): void => {
    if (stopped || attempts >= maxAttempts) return;
    attempts += 1;
    const socket = connect({ host, port: options.port, localAddress });
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('connect', () => {
      peakOpen = Math.max(peakOpen, sockets.size);
      if (payload.length > 0) socket.write(payload);
    });
    socket.on('error', () => socket.destroy());
    socket.resume();
    socket.on('close', () => {
      sockets.delete(socket);
      // A short pause before reopening: the server may refuse at once, and a tight loop would only
      // measure this process.
      setTimeout(() => open(localAddress), 20).unref();
    });
  };

  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    for (const socket of sockets) socket.destroy();
    finish();
  };
  const timer = setTimeout(stop, options.durationMs);
  for (const source of options.sources) for (let i = 0; i < options.perSource; i++) open(source);

  return {
    get open() {
      return sockets.size;
    },
    get peakOpen() {
      return peakOpen;
    },
    get attempts() {
      return attempts;
    },
    done,
    stop,
  };
}

/** What a flood in its own process did. */
export interface FloodReport {
  readonly attempts: number;
  readonly peakOpen: number;
}

/** The built copy of this module, which the child process runs. */
const BUILT = fileURLToPath(
  new URL(
    import.meta.url.includes('/dist/test-support/')
      ? './half-sent-flood.js'
      : '../dist/test-support/half-sent-flood.js',
    import.meta.url,
  ),
);

/**
 * Runs {@link startHalfSentFlood} in a child process (so the attack does not slow the test's own
 * clients) and resolves with its report once the duration has passed. Needs `npm run build`.
 */
export function runHalfSentFlood(options: HalfSentFloodOptions): Promise<FloodReport> {
  const script = `
    const { startHalfSentFlood } = await import(${JSON.stringify(pathToFileURL(BUILT).href)});
    const flood = startHalfSentFlood(${JSON.stringify(options)});
    await flood.done;
    process.stdout.write(JSON.stringify({ attempts: flood.attempts, peakOpen: flood.peakOpen }));
    process.exit(0);`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as FloodReport);
      else reject(new Error(`the flood process exited with ${code}`));
    });
  });
}
