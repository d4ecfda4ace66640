import { Registry } from 'prom-client';
import { createCredentialCache } from '../agent/cache/create-credential-cache.js';
import { createMetrics } from '../agent/metrics/metrics.js';
import {
  type ClientShape,
  type ModelFactory,
  ONE_CLIENT,
  REPEATING_CLIENTS,
  type SimOutcome,
  simulateDay,
} from './economy-sim.js';
import { createReferenceCache } from './reference-cache.js';
import { atMost, exactly, type Figure, figure, type Scenario } from './report.js';

const NAME = 'economy';

/** A seeded uniform generator (mulberry32), so the jitter and the figures repeat run to run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The agent's real cache (agent/cache) with its defaults, driven by the fake clock and timers. */
const ours: ModelFactory = (time, exchange) => {
  const cache = createCredentialCache({
    exchanger: {
      api: 'AssumeRoleForPodIdentity',
      exchange: (token) =>
        exchange({ raw: token.token, expiresAt: token.identity.tokenExpiresAt, verified: token }),
    },
    clock: time,
    timers: time,
    random: seeded(7),
    metrics: createMetrics(new Registry()),
    maxEntries: 2000,
  });
  return {
    request: async (token) => (await cache.get(token.verified)).credentials,
    close: () => cache.close(),
  };
};

/** The reference agent's documented algorithm (bench/reference-cache.ts). */
const reference: ModelFactory = (time, exchange) => {
  const cache = createReferenceCache(time, (raw) => exchange(raw as Parameters<typeof exchange>[0]));
  return { request: (token) => cache.get(token), close: () => cache.close() };
};

/** No cache at all: one upstream call per SDK request, the baseline a cache must beat. */
const passThrough: ModelFactory = (_time, exchange) => ({ request: (token) => exchange(token), close() {} });

interface Columns {
  readonly perActivePodPerDay: number;
  readonly perRotation: number;
  readonly idleAfterLapse: number;
  readonly perIdlePodPerDay: number;
}

async function columns(factory: ModelFactory, clients: ClientShape): Promise<Columns> {
  const rotating: SimOutcome = await simulateDay(factory, true, clients);
  const fixed: SimOutcome = await simulateDay(factory, false, clients);
  return {
    perActivePodPerDay: rotating.activeCalls / rotating.activePods,
    perRotation: (rotating.activeCalls - fixed.activeCalls) / rotating.rotations,
    idleAfterLapse: rotating.idleCallsAfterLapse,
    perIdlePodPerDay: rotating.idleCalls / rotating.idlePods,
  };
}

type Target = NonNullable<Parameters<typeof figure>[4]>;

/** `limit` (when given) and strictly fewer than each of `others`. */
function fewer(limit: Target | undefined, others: readonly [string, number][]): Target {
  const show = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
  return {
    text: [limit?.text, ...others.map(([name, v]) => `< ${name} (${show(v)})`)]
      .filter((t) => t !== undefined)
      .join(' and '),
    check: (v) => (limit?.check(v) ?? true) && others.every(([, other]) => v < other),
  };
}

/** The figures of one simulated day for the three models. */
async function day(label: string, clients: ClientShape, repeats: boolean): Promise<Figure[]> {
  const ourCols = await columns(ours, clients);
  const refCols = await columns(reference, clients);
  const passCols = await columns(passThrough, clients);
  const f = (name: string, value: number, target?: Target) =>
    figure(NAME, `${label}: ${name}`, value, 'calls', target);
  // Where clients repeat, the cache must beat the pass-through too; where each pod asks only when
  // its credentials run low, a cache can at best equal it, and the reference is the bar.
  const bar = (ref: number, pass: number): [string, number][] =>
    repeats
      ? [
          ['reference', ref],
          ['pass-through', pass],
        ]
      : [['reference', ref]];
  return [
    f(
      'ours, per active pod per day',
      ourCols.perActivePodPerDay,
      fewer(repeats ? undefined : atMost(5), bar(refCols.perActivePodPerDay, passCols.perActivePodPerDay)),
    ),
    f(
      'ours, per token rotation',
      ourCols.perRotation,
      fewer(exactly(0), [['reference', refCols.perRotation]]),
    ),
    f(
      'ours, idle pods after credentials lapse (all idle pods)',
      ourCols.idleAfterLapse,
      fewer(exactly(0), [['reference', refCols.idleAfterLapse]]),
    ),
    f(
      'ours, per idle pod per day',
      ourCols.perIdlePodPerDay,
      fewer(undefined, bar(refCols.perIdlePodPerDay, passCols.perIdlePodPerDay)),
    ),
    f('reference, per active pod per day', refCols.perActivePodPerDay),
    f('reference, per token rotation', refCols.perRotation),
    f('reference, idle pods after credentials lapse (all idle pods)', refCols.idleAfterLapse),
    f('reference, per idle pod per day', refCols.perIdlePodPerDay),
    f('pass-through, per active pod per day', passCols.perActivePodPerDay),
    f('pass-through, per token rotation', passCols.perRotation),
    f('pass-through, idle pods after credentials lapse (all idle pods)', passCols.idleAfterLapse),
    f('pass-through, per idle pod per day', passCols.perIdlePodPerDay),
  ];
}

/**
 * Upstream economy over simulated days, for the agent's cache, the reference algorithm and a
 * pass-through without cache. Day 1: one SDK client per pod that asks only when its credentials
 * run low. Day 2: clients that repeat (3 processes per pod, every 4th pod builds a new client per AWS
 * call, every 10th request retried), where a cache shows its worth. "Per token rotation" is the
 * difference against the same day without rotations, divided by the rotations active pods saw.
 */
async function run(): Promise<Figure[]> {
  return [
    ...(await day('one client per pod', ONE_CLIENT, false)),
    ...(await day('repeating clients', REPEATING_CLIENTS, true)),
  ];
}

/** The economy scenario. */
export const economy: Scenario = {
  name: NAME,
  title: 'upstream calls over simulated days: ours, the reference algorithm and a pass-through',
  run,
};
