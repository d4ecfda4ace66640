import { fileURLToPath } from 'node:url';
import { forkChildServer } from './child-server.js';
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
 * Forks this file as the stand-in (see {@link forkChildServer}). In the benchmark's own process its
 * parsing of the agent's call was not subtracted either: it counted as the agent's overhead.
 */
export async function startInstantUpstreamProcess(): Promise<InstantUpstreamProcess> {
  const child = await forkChildServer<Message>(fileURLToPath(import.meta.url), 'instant upstream');
  return {
    endpoint: child.first.endpoint,
    async handleMs() {
      return (await child.ask('handleMs', 'handleMs')).handleMs;
    },
    stop: () => child.stop(),
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
