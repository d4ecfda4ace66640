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
 * A loopback port that was free a moment ago: bind port 0, read it, release it. Only for a child
 * process that must be told its port up front (it can be taken in between; prefer
 * {@link listenOnLoopback} for servers in this process).
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listenOnLoopback(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
