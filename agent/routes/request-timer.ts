import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Monotonic } from '../clock.js';

/** The request property holding when its handler began (a fastify request decoration). */
const STARTED = Symbol('startedAt');

type Timed = FastifyRequest & { [STARTED]: number | undefined };

/**
 * Times the credentials app's answers for the duration histogram. Fastify's own timing
 * (`reply.elapsedTime`) works only in an app with a logger, and an app with a logger adds and removes
 * two response listeners and reads the clock twice on every request (~1 µs of a cache hit's CPU,
 * docs/performance.md): the credentials app has none, and its handlers mark their start here.
 */
export interface RequestTimer {
  /** Marks `request` as begun now: the first step of a handler. */
  start(request: FastifyRequest): void;
  /** Milliseconds since `request` was begun; 0 for one no handler began (refused before routing). */
  elapsedMs(request: FastifyRequest): number;
}

/**
 * Decorates `app`'s requests with their start time (a field every request is built with, so a hit
 * adds no property to its request object) and returns the timer reading it.
 */
export function createRequestTimer(app: FastifyInstance, now: Monotonic): RequestTimer {
  app.decorateRequest(STARTED as unknown as string, undefined);
  return {
    start(request) {
      (request as Timed)[STARTED] = now();
    },
    elapsedMs(request) {
      const started = (request as Timed)[STARTED];
      return started === undefined ? 0 : now() - started;
    },
  };
}
