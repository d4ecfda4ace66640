import { fork, type Serializable } from 'node:child_process';

/** A benchmark server forked into a process of its own and driven over IPC. */
export interface ChildServer<M extends object> {
  /** The server's first message, which holds its endpoint. */
  readonly first: Extract<M, Record<'endpoint', unknown>>;
  readonly pid: number | undefined;
  /** Sends `request` and resolves with the next message, which must hold `key`. */
  ask<K extends string>(request: Serializable, key: K): Promise<Extract<M, Record<K, unknown>>>;
  /** SIGTERM, then the process's exit. */
  stop(): Promise<void>;
}

/**
 * Forks `file` with `--serve`, sends `init` when given, and waits for its first message, which must
 * hold `endpoint`. `name` names the server in errors. A server in the benchmark's own process would
 * run on the event loop that times the requests, and its CPU would not show as its own.
 */
export async function forkChildServer<M extends object>(
  file: string,
  name: string,
  init?: Serializable,
): Promise<ChildServer<M>> {
  const child = fork(file, ['--serve'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = () =>
    new Promise<M>((resolve, reject) => {
      child.once('message', (message) => resolve(message as M));
      child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
    });
  const expect = <K extends string>(message: M, key: K): Extract<M, Record<K, unknown>> => {
    if (!(key in message)) throw new Error(`${name}: unexpected message`);
    return message as Extract<M, Record<K, unknown>>;
  };
  const ready = next();
  if (init !== undefined) child.send(init);
  const first = expect(await ready, 'endpoint');
  return {
    first,
    pid: child.pid,
    async ask(request, key) {
      const answer = next();
      child.send(request);
      return expect(await answer, key);
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
