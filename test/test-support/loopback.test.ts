import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { freePort, freePorts, listenOnLoopback } from '../../test-support/loopback.js';

describe('loopback ports', () => {
  it('finds a free loopback port', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
  });

  it('finds distinct free ports, all bindable once released', async () => {
    const ports = await freePorts(8);
    expect(new Set(ports).size).toBe(8);
    const servers = ports.map(() => createServer());
    try {
      expect(await Promise.all(servers.map((server, i) => listenOnLoopback(server, ports[i])))).toEqual(
        ports,
      );
    } finally {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    }
  });

  it('starts a server on 127.0.0.1 at the port it resolves', async () => {
    const server = createServer((_req, res) => res.end('here'));
    const port = await listenOnLoopback(server);
    try {
      expect(server.address()).toMatchObject({ address: '127.0.0.1', port });
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('here');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('rejects when the server cannot listen', async () => {
    const server = createServer();
    await listenOnLoopback(server);
    try {
      await expect(listenOnLoopback(server)).rejects.toMatchObject({ code: 'ERR_SERVER_ALREADY_LISTEN' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
