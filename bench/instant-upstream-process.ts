import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startInstantUpstream } from './instant-upstream.js';

/** {@link startInstantUpstream} in a process of its own, as EKS Auth is for the agent. */
export interface InstantUpstreamProcess {
  readonly endpoint: string;
  /** Milliseconds each answer took the stand-in (first request byte to last answer byte), in arrival order. */
  handleMs(): Promise<number[]>;
  stop(): Promise<void>;
}

type Message = { endpoint: string } | { handleMs: number[] };

/**
 * Forks this file as the stand-in. In the benchmark's own process the stand-in's work (parsing the
 * agent's call, building and writing the answer, its garbage) ran on the event loop that also times
 * the client's requests, and its parsing was not subtracted: both counted as the agent's overhead.
 */
export async function startInstantUpstreamProcess(): Promise<InstantUpstreamProcess> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = () =>
    new Promise<Message>((resolve, reject) => {
      child.once('message', (message) => resolve(message as Message));
      child.once('exit', (code) => reject(new Error(`instant upstream exited with ${code}`)));
    });
  const ready = await next();
  if (!('endpoint' in ready)) throw new Error('instant upstream: unexpected message');
  return {
    endpoint: ready.endpoint,
    async handleMs() {
      const answer = next();
      child.send('handleMs');
      const message = await answer;
      if (!('handleMs' in message)) throw new Error('instant upstream: unexpected message');
      return message.handleMs;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

if (process.argv[2] === '--serve' && process.send !== undefined) {
  const upstream = await startInstantUpstream();
  process.on('message', (message) => {
    if (message === 'handleMs') process.send?.({ handleMs: upstream.handleMs });
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ endpoint: upstream.endpoint });
}
