import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createRequestTimer } from '../../agent/routes/request-timer.js';

describe('createRequestTimer', () => {
  const app = Fastify();
  afterEach(async () => {
    await app.close();
  });

  it('reads the time since the handler began from the injected clock, per request', async () => {
    let now = 1_000;
    const timer = createRequestTimer(app, () => now);
    const seen: number[] = [];
    app.get('/slow', async (request) => {
      timer.start(request);
      now += 7.5;
      seen.push(timer.elapsedMs(request));
      return 'ok';
    });
    app.get('/unstarted', async (request) => {
      now += 3;
      seen.push(timer.elapsedMs(request));
      return 'ok';
    });
    await app.inject('/slow');
    await app.inject('/unstarted');
    await app.inject('/slow');
    // A request no handler began reads 0, not the time since an earlier request began.
    expect(seen).toEqual([7.5, 0, 7.5]);
  });
});
