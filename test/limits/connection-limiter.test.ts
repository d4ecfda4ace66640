import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createConnectionLimiter } from '../../agent/limits/connection-limiter.js';

/** The part of a socket the limiter uses: its peer address, `close`, and `destroy()`. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  constructor(readonly remoteAddress: string) {
    super();
  }
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      queueMicrotask(() => this.emit('close'));
    }
    return this;
  }
}

const socket = (address: string) => new FakeSocket(address) as unknown as Socket & FakeSocket;
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('createConnectionLimiter', () => {
  it('refuses a source past its own cap and admits it again once one of its connections closes', async () => {
    const limiter = createConnectionLimiter({ maxConnections: 100, maxPerSource: 2 });
    const first = socket('10.0.0.1');
    expect(limiter.admit(first)).toBe(true);
    expect(limiter.admit(socket('10.0.0.1'))).toBe(true);
    expect(limiter.admit(socket('::ffff:10.0.0.1'))).toBe(false);
    expect(limiter.admit(socket('10.0.0.2'))).toBe(true);
    first.destroy();
    await settle();
    expect(limiter.admit(socket('10.0.0.1'))).toBe(true);
    expect(limiter.open).toBe(3);
  });

  it('lets a quiet source take the oldest connection of the busiest one once the total is reached', async () => {
    const limiter = createConnectionLimiter({ maxConnections: 4, maxPerSource: 3 });
    const flood = [socket('10.0.0.1'), socket('10.0.0.1'), socket('10.0.0.1')];
    for (const s of flood) expect(limiter.admit(s)).toBe(true);
    expect(limiter.admit(socket('10.0.0.2'))).toBe(true);
    const quiet = socket('10.0.0.3');
    expect(limiter.admit(quiet)).toBe(true);
    expect(flood[0]?.destroyed).toBe(true);
    expect(flood[1]?.destroyed).toBe(false);
    await settle();
    expect(limiter.open).toBe(4);
  });

  it('refuses a new connection at the total when no source holds more than its sender would', () => {
    const limiter = createConnectionLimiter({ maxConnections: 2, maxPerSource: 2 });
    expect(limiter.admit(socket('10.0.0.1'))).toBe(true);
    expect(limiter.admit(socket('10.0.0.2'))).toBe(true);
    expect(limiter.admit(socket('10.0.0.3'))).toBe(false);
    expect(limiter.open).toBe(2);
    expect(limiter.sources).toBe(2);
  });

  it.each([
    ['maxConnections', { maxConnections: 0, maxPerSource: 1 }],
    ['maxPerSource', { maxConnections: 1, maxPerSource: 1.5 }],
  ])('refuses a bad %s, naming it', (name, limits) => {
    expect(() => createConnectionLimiter(limits)).toThrow(name);
  });
});
