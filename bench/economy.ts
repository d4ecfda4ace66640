import { Registry } from 'prom-client';
import { createCredentialCache } from '../agent/cache/create-credential-cache.js';
import { createMetrics } from '../agent/metrics/metrics.js';
import { type ModelFactory, type SimOutcome, simulateDay } from './economy-sim.js';
import { createReferenceCache } from './reference-cache.js';
import { atMost, below, exactly, type Figure, figure, type Scenario } from './report.js';

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

/** The EKS Pod Identity Agent's cache algorithm (`reference-cache.ts`). */
const reference: ModelFactory = (time, exchange) => {
  const cache = createReferenceCache(time, (raw) => exchange(raw as Parameters<typeof exchange>[0]));
  return { request: (token) => cache.get(token), close: () => cache.close() };
};

interface Columns {
  readonly perActivePodPerDay: number;
  readonly perRotation: number;
  readonly idleAfterLapse: number;
  readonly perIdlePodPerDay: number;
}

async function columns(factory: ModelFactory): Promise<Columns> {
  const rotating: SimOutcome = await simulateDay(factory, true);
  const fixed: SimOutcome = await simulateDay(factory, false);
  return {
    perActivePodPerDay: rotating.activeCalls / rotating.activePods,
    perRotation: (rotating.activeCalls - fixed.activeCalls) / rotating.rotations,
    idleAfterLapse: rotating.idleCallsAfterLapse,
    perIdlePodPerDay: rotating.idleCalls / rotating.idlePods,
  };
}

/**
 * Upstream economy over a simulated day, for the agent's cache and for the reference
 * algorithm. "Per token rotation" is the difference against the same day without rotations,
 * divided by the rotations active pods saw.
 */
async function run(): Promise<Figure[]> {
  const ourCols = await columns(ours);
  const refCols = await columns(reference);
  const f = (name: string, value: number, target?: Parameters<typeof figure>[4]) =>
    figure(NAME, name, value, 'calls', target);
  const both = (limit: { text: string; check: (v: number) => boolean }, ref: number) => ({
    text: `${limit.text} and < reference (${Number.isInteger(ref) ? ref : ref.toFixed(2)})`,
    check: (v: number) => limit.check(v) && v < ref,
  });
  return [
    f(
      'ours: per active pod per day',
      ourCols.perActivePodPerDay,
      both(atMost(5), refCols.perActivePodPerDay),
    ),
    f('ours: per token rotation', ourCols.perRotation, both(exactly(0), refCols.perRotation)),
    f(
      'ours: idle pods after credentials lapse (all idle pods)',
      ourCols.idleAfterLapse,
      both(exactly(0), refCols.idleAfterLapse),
    ),
    f('ours: per idle pod per day', ourCols.perIdlePodPerDay, below(refCols.perIdlePodPerDay, 'reference')),
    f('reference: per active pod per day', refCols.perActivePodPerDay),
    f('reference: per token rotation', refCols.perRotation),
    f('reference: idle pods after credentials lapse (all idle pods)', refCols.idleAfterLapse),
    f('reference: per idle pod per day', refCols.perIdlePodPerDay),
  ];
}

/** Scenario 4 of `npm run bench` (docs/performance.md). */
export const economy: Scenario = {
  name: NAME,
  title: 'upstream calls over a simulated day, ours vs reference',
  run,
};
