/**
 * Child process of the hit-path benchmark: serves a fixed body (the agent's real credentials
 * response, read from a file) with either bare node:http (`raw`, the physical limit) or a bare
 * fastify route (`fastify`). Tells its parent the port over IPC.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';

const [kind, bodyFile] = process.argv.slice(2);
if ((kind !== 'raw' && kind !== 'fastify') || bodyFile === undefined)
  throw new Error('usage: fixed-body-server.js raw|fastify <body-file>');
const body = readFileSync(bodyFile);

let port: number;
if (kind === 'raw') {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
} else {
  const app = Fastify({ logger: false });
  app.get('/v1/credentials', async (_request, reply) => reply.type('application/json').send(body));
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
}
process.send?.({ port });
process.on('disconnect', () => process.exit(0));
