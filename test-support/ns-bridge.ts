/**
 * TCP bridges between the test process's network namespace and a namespace it made, through a Unix
 * socket in a temp folder (path-bound Unix sockets belong to the file system, not to a network
 * namespace). One end runs in this process, the other is a small `node` child started with
 * `ip netns exec`. Lets servers that live in the test process (the EKS Auth stand-in, moto) be
 * reached inside the simulated node, and the agent's probe port be reached from the tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type ListenOptions, type NetConnectOpts, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inNamespace } from './netns.js';

/** Where one end listens or connects: `{ host, port }` or `{ path }` (Unix socket). */
export type Endpoint = { readonly host: string; readonly port: number } | { readonly path: string };

/** A running bridge. */
export interface Bridge {
  /** Port the in-process end listens on (0 when it listens on a Unix socket). */
  readonly localPort: number;
  close(): Promise<void>;
}

// The child end: the same forwarding, as a script for `node -e` (no build step inside the namespace).
const CHILD = `
import { connect, createServer } from 'node:net';
const [listen, target] = process.argv.slice(1).map((a) => JSON.parse(a));
const server = createServer((socket) => {
  const upstream = connect(target);
  socket.pipe(upstream).pipe(socket);
  socket.on('error', () => upstream.destroy());
  upstream.on('error', () => socket.destroy());
});
server.listen(listen, () => process.stdout.write('ready\\n'));
`;

/** Forwards every connection accepted on `listen` to `target`, in this process. */
export function forward(listen: Endpoint, target: Endpoint): Promise<Server> {
  const server = createServer((socket) => {
    const upstream = connect(target as NetConnectOpts);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen as ListenOptions, () => resolve(server));
  });
}

/** Starts the child end inside `ns`, resolved once it listens. */
function forwardIn(ns: string, listen: Endpoint, target: Endpoint): Promise<ChildProcess> {
  const [program, ...prefix] = [...inNamespace(ns), process.execPath];
  const child = spawn(
    program as string,
    [...prefix, '--input-type=module', '-e', CHILD, JSON.stringify(listen), JSON.stringify(target)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.stdout?.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`bridge in ${ns} exited with ${code}: ${stderr}`)));
  });
}

async function bridge(build: (socketPath: string) => Promise<[Server, ChildProcess]>): Promise<Bridge> {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bridge-'));
  const [server, child] = await build(join(dir, 's.sock'));
  const address = server.address();
  return {
    localPort: typeof address === 'object' && address !== null ? address.port : 0,
    async close() {
      child.kill('SIGKILL');
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Makes `target` (reachable from this process) answer inside `ns` on `listen`. */
export function exposeInNamespace(ns: string, listen: Endpoint, target: Endpoint): Promise<Bridge> {
  return bridge(async (path) => {
    const server = await forward({ path }, target);
    try {
      return [server, await forwardIn(ns, listen, { path })];
    } catch (error) {
      server.close();
      throw error;
    }
  });
}

/** Makes `target` inside `ns` answer on a free 127.0.0.1 port of this process (`localPort`). */
export function reachIntoNamespace(ns: string, target: Endpoint): Promise<Bridge> {
  return bridge(async (path) => {
    const child = await forwardIn(ns, { path }, target);
    try {
      return [await forward({ host: '127.0.0.1', port: 0 }, { path }), child];
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  });
}
