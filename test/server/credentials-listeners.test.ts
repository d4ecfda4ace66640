import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CredentialsListeners,
  listenCredentials,
  REBIND_INTERVAL_MS,
} from '../../agent/server/credentials-listeners.js';
import { freePort } from '../../test-support/loopback.js';
import { FakeTime } from '../fakes/fake-time.js';
import { captureLogger } from '../fakes/log-capture.js';

function get(port: number, path = '/'): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

describe('listenCredentials', () => {
  let listeners: CredentialsListeners | undefined;
  let squatter: Server | undefined;
  afterEach(async () => {
    await listeners?.close(100);
    await new Promise((resolve) => (squatter ? squatter.close(resolve) : resolve(undefined)));
    listeners = undefined;
    squatter = undefined;
  });

  it('serves on every address and is ready', async () => {
    const port = await freePort();
    listeners = await listenCredentials(
      (_req, res) => res.end('ok'),
      ['127.0.0.1'],
      port,
      captureLogger().logger,
    );
    expect(await get(port)).toBe(200);
    expect(listeners.notReadyReason()).toBeUndefined();
  });

  it('degrades to a warning when an IPv6 address cannot be bound because IPv6 is off', async () => {
    const log = captureLogger();
    const port = await freePort();
    listeners = await listenCredentials(
      (_req, res) => res.end('ok'),
      ['127.0.0.1', 'fd00:ec2::99'],
      port,
      log.logger,
      { ipv6Enabled: () => false },
    );
    expect(listeners.states.get('fd00:ec2::99')).toBe('ipv6-unavailable');
    expect(listeners.notReadyReason()).toBeUndefined();
    expect(log.records().some((r) => r.level === 'warn' && r.host === 'fd00:ec2::99')).toBe(true);
  });

  it('reports an IPv6 address on no interface while IPv6 is on as that, and stays not ready', async () => {
    const log = captureLogger();
    const port = await freePort();
    listeners = await listenCredentials(
      (_req, res) => res.end('ok'),
      ['127.0.0.1', 'fd00:ec2::99'],
      port,
      log.logger,
      { ipv6Enabled: () => true },
    );
    expect(listeners.states.get('fd00:ec2::99')).toBe('not-on-interface');
    expect(listeners.notReadyReason()).toBe(
      `credentials address not bound: fd00:ec2::99:${port} (IPv6 is on but the address is on no interface)`,
    );
    const logged = log.records().find((r) => r.host === 'fd00:ec2::99');
    expect(logged).toMatchObject({ level: 'error', code: 'EADDRNOTAVAIL' });
    expect(String(logged?.msg)).toContain('on no interface');
    expect(String(logged?.msg)).not.toContain('off');
    expect(await get(port)).toBe(200);
  });

  it('stays not ready, and says why, while another process holds the address', async () => {
    squatter = createServer();
    await new Promise<void>((resolve) => squatter?.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as AddressInfo;
    listeners = await listenCredentials(
      (_req, res) => res.end('ok'),
      ['127.0.0.1'],
      port,
      captureLogger().logger,
    );
    expect(listeners.states.get('127.0.0.1')).toBe('in-use');
    expect(listeners.notReadyReason()).toMatch(/in use by another process/);
  });

  it('fails when no address can be bound', async () => {
    await expect(
      listenCredentials(
        (_req, res) => res.end('ok'),
        ['192.0.2.1'],
        await freePort(),
        captureLogger().logger,
      ),
    ).rejects.toThrow(/could not bind any credentials address/);
  });

  it('answers an oversized header section with 431 from the parser', async () => {
    const port = await freePort();
    listeners = await listenCredentials(
      (_req, res) => res.end('ok'),
      ['127.0.0.1'],
      port,
      captureLogger().logger,
    );
    const status = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port, headers: { 'x-big': 'a'.repeat(17 * 1024) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(431);
  });

  it('binds an address once the process holding it lets go, on the next re-bind', async () => {
    squatter = createServer();
    await new Promise<void>((resolve) => squatter?.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as AddressInfo;
    const time = new FakeTime();
    listeners = await listenCredentials(
      (_req, res) => res.end('ok'),
      ['127.0.0.1'],
      port,
      captureLogger().logger,
      { timers: time },
    );
    await new Promise((resolve) => squatter?.close(resolve));
    squatter = undefined;
    await time.advance(REBIND_INTERVAL_MS - 1);
    expect(listeners.states.get('127.0.0.1')).toBe('in-use');
    await time.advance(1);
    await expect.poll(() => listeners?.states.get('127.0.0.1')).toBe('bound');
    expect(listeners.notReadyReason()).toBeUndefined();
    expect(await get(port)).toBe(200);
  });

  it('lets an in-flight request finish on close and refuses new connections', async () => {
    const port = await freePort();
    let arrived: () => void = () => {};
    const reached = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    listeners = await listenCredentials(
      (_req, res) => {
        arrived();
        void held.then(() => res.end('done'));
      },
      ['127.0.0.1'],
      port,
      captureLogger().logger,
    );
    const inFlight = get(port);
    await reached;
    // close() stops accepting before it returns; it resolves only once the held request is answered.
    const closing = listeners.close(5_000);
    await expect(get(port)).rejects.toThrow();
    release();
    expect(await inFlight).toBe(200);
    await closing;
    listeners = undefined;
  });
});
