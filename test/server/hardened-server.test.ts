import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeServer,
  listenProbesAndMetrics,
  type RequestHandler,
} from '../../agent/server/hardened-server.js';
import { freePorts, listenOnLoopback } from '../../test-support/loopback.js';

const says =
  (text: string): RequestHandler =>
  (_req, res) =>
    res.end(text);

describe('listenProbesAndMetrics', () => {
  let open: Server[] = [];
  afterEach(async () => {
    await Promise.all(open.map(closeServer));
    open = [];
  });

  it('binds the probe and the metrics handler each on its own address', async () => {
    const [probePort, metricsPort] = (await freePorts(2)) as [number, number];
    open = await listenProbesAndMetrics(says('probes'), says('metrics'), {
      probeAddress: '127.0.0.1',
      probePort,
      metricsAddress: '127.0.0.1',
      metricsPort,
    });
    expect(open).toHaveLength(2);
    expect(await (await fetch(`http://127.0.0.1:${probePort}/`)).text()).toBe('probes');
    expect(await (await fetch(`http://127.0.0.1:${metricsPort}/`)).text()).toBe('metrics');
  });

  it('binds no metrics listener when its port is 0', async () => {
    const [probePort] = (await freePorts(1)) as [number];
    open = await listenProbesAndMetrics(says('probes'), says('metrics'), {
      probeAddress: '127.0.0.1',
      probePort,
      metricsAddress: '127.0.0.1',
      metricsPort: 0,
    });
    expect(open).toHaveLength(1);
    expect(open[0]?.address()).toMatchObject({ port: probePort });
  });

  it('rejects with the bind error when the metrics port is taken, and releases the probe port', async () => {
    const blocker = createServer();
    const metricsPort = await listenOnLoopback(blocker);
    open = [blocker];
    const [probePort] = (await freePorts(1)) as [number];
    await expect(
      listenProbesAndMetrics(says('probes'), says('metrics'), {
        probeAddress: '127.0.0.1',
        probePort,
        metricsAddress: '127.0.0.1',
        metricsPort,
      }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const again = createServer();
    expect(await listenOnLoopback(again, probePort)).toBe(probePort);
    open.push(again);
  });
});
