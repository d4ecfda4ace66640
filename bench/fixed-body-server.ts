/**
 * Child process of the hit-path benchmark: serves a fixed body (the agent's real credentials
 * response, read from a file) with either bare node:http (`raw`, the physical limit), a bare
 * fastify route (`fastify`), or the same bare route on the agent's own fastify instance and
 * credentials listeners (`shell`: the agent's options and servers, none of its route code),
 * or the bare fastify route after a busy loop of `<spin-us>` µs (`spin`: what a fixed amount of
 * route work costs in CPU per request once the load generator is the faster side).
 * Tells its parent the port over IPC.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { createFastify } from '../agent/app.js';
import { createLogger } from '../agent/log/logger.js';
import { listenCredentials } from '../agent/server/credentials-listeners.js';
import { freePort } from '../test-support/loopback.js';

const [kind, bodyFile, spinUs = '0'] = process.argv.slice(2);
if ((kind !== 'raw' && kind !== 'fastify' && kind !== 'shell' && kind !== 'spin') || bodyFile === undefined)
  throw new Error('usage: fixed-body-server.js raw|fastify|shell|spin <body-file> [spin-us]');
const body = readFileSync(bodyFile);

let port: number;
if (kind === 'raw') {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
} else if (kind === 'shell') {
  // The agent's credentials app: no fastify logger.
  const app = createFastify();
  app.get('/v1/credentials', (_request, reply) => {
    reply.type('application/json').send(body);
  });
  await app.ready();
  port = await freePort();
  await listenCredentials((req, res) => app.routing(req, res), ['127.0.0.1'], port, createLogger('info'));
} else {
  const spinNs = kind === 'spin' ? BigInt(Number(spinUs) * 1000) : 0n;
  const app = Fastify({ logger: false });
  app.get('/v1/credentials', async (_request, reply) => {
    if (spinNs > 0n) for (const end = process.hrtime.bigint() + spinNs; process.hrtime.bigint() < end; );
    return reply.type('application/json').send(body);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
}
process.send?.({ port });
process.on('disconnect', () => process.exit(0));
