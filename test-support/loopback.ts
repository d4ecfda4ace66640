import { createServer, type Server } from 'node:net';

/**
 * Starts `server` listening on 127.0.0.1 at a port the OS picks (tests never choose ports: a chosen one may be taken)
 * and resolves that port (`port`: a fixed one, for tools a person runs). Works for net, http and
 * https servers.
 */
export async function listenOnLoopback(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('server has no TCP address');
  return address.port;
}

/**
 * `count` distinct loopback ports that were free a moment ago: bind port 0 that many times at once,
 * read the ports, release them all. Only for a child process that must be told its ports up front
 * (one can be taken in between; prefer {@link listenOnLoopback} for servers in this process). Held
 * together, the ports cannot repeat, as two ports found one after the other can (the OS may hand
 * out a released port again).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(servers.map((server) => listenOnLoopback(server)));
  } finally {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
      ),
    );
  }
}

/** One port of {@link freePorts}. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port as number;
}
