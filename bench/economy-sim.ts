import type { VerifiedToken } from '../agent/auth/token-verifier.js';
import type { RoleCredentials } from '../agent/exchange/credential-exchanger.js';
import { createFakeTime, type FakeTime, settle } from './fake-time.js';

/** Fixed, non-zero epoch of the simulation. */
export const SIM_EPOCH = 1_790_000_000_000;
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const STEP_MS = 60_000;
const PODS = 110;
/** EKS credentials last 6 h; kubelet tokens 24 h, rotated at 80 % of their life (~19 h). */
const CREDENTIALS_MS = 6 * HOUR;
const TOKEN_MS = 24 * HOUR;
const ROTATE_AFTER_MS = 0.8 * TOKEN_MS;

/** One token of one pod, in both shapes: the reference keys by `raw`, ours by the verified claims. */
export interface SimToken {
  readonly raw: string;
  readonly expiresAt: number;
  readonly verified: VerifiedToken;
}

/** A cache under test: answers a pod's request for credentials with its current token. */
export interface SimModel {
  /** Resolves with the credentials' expiry, the one field the pod's SDK acts on. */
  request(token: SimToken): Promise<Pick<RoleCredentials, 'expiration'>>;
  close(): void;
}

/** Builds a model over the simulated time and the counting upstream. */
export type ModelFactory = (
  time: FakeTime,
  exchange: (token: SimToken) => Promise<RoleCredentials>,
) => SimModel;

/** What a simulated day gives. */
export interface SimOutcome {
  readonly activePods: number;
  readonly idlePods: number;
  readonly activeCalls: number;
  readonly idleCalls: number;
  /** Calls for idle pods after the credentials their SDK last got expired. */
  readonly idleCallsAfterLapse: number;
  /** Token rotations seen by active pods during the day. */
  readonly rotations: number;
}

interface Pod {
  readonly name: string;
  readonly startAt: number;
  /** The SDK asks again when this little lifetime is left: botocore 15 min, JS SDK 5 min. */
  readonly leadMs: number;
  readonly idle: boolean;
  token: SimToken;
  rotatedAt: number;
  credentials?: Pick<RoleCredentials, 'expiration'>;
  calls: number[];
}

function makeToken(pod: string, serial: number, issuedAt: number, lifetimeMs: number): SimToken {
  const raw = `token-${pod}-${serial}`;
  const expiresAt = issuedAt + lifetimeMs;
  const identity = {
    issuer: 'https://oidc.sim.example',
    namespace: 'default',
    serviceAccount: 'app',
    serviceAccountUid: 'sa-uid',
    podName: pod,
    podUid: `uid-${pod}`,
    tokenExpiresAt: expiresAt,
  };
  return { raw, expiresAt, verified: { identity, token: raw, tokenHash: raw } };
}

/**
 * Simulates one day of 110 pods on one node with fake time: pods start in the first
 * ~9 minutes; even pods refresh like botocore (15 min before expiry), odd ones like the JS SDK
 * (5 min); 30 % stop calling AWS after their first hour; active pods make an AWS call every minute.
 * With `rotate`, kubelet replaces each token after ~19 h; without, tokens outlive the day (the
 * counterfactual that isolates the calls rotations cost).
 */
export async function simulateDay(factory: ModelFactory, rotate: boolean): Promise<SimOutcome> {
  const time = createFakeTime(SIM_EPOCH);
  const pods: Pod[] = Array.from({ length: PODS }, (_, i) => {
    const name = `pod-${i}`;
    const startAt = SIM_EPOCH + i * 5_000;
    return {
      name,
      startAt,
      leadMs: (i % 2 === 0 ? 15 : 5) * 60_000,
      idle: i % 10 < 3,
      token: makeToken(name, 0, startAt, rotate ? TOKEN_MS : 2 * DAY),
      rotatedAt: startAt,
      calls: [],
    };
  });
  const byName = new Map(pods.map((p) => [p.name, p]));
  const model = factory(time, async (token) => {
    const pod = byName.get(token.verified.identity.podName) as Pod;
    pod.calls.push(time.now());
    return {
      accessKeyId: `ASIA${pod.calls.length}`,
      secretAccessKey: 'secret',
      sessionToken: 'session',
      accountId: '123456789012',
      roleArn: 'arn:aws:iam::123456789012:role/sim',
      expiration: time.now() + CREDENTIALS_MS,
    };
  });
  let rotations = 0;
  for (let now = SIM_EPOCH; now <= SIM_EPOCH + DAY; now += STEP_MS) {
    await time.advanceTo(now);
    for (const pod of pods) {
      if (now < pod.startAt) continue;
      if (rotate && now - pod.rotatedAt >= ROTATE_AFTER_MS + (Number(pod.name.slice(4)) % 10) * 60_000) {
        pod.rotatedAt = now;
        pod.token = makeToken(pod.name, Number(pod.token.raw.split('-').pop()) + 1, now, TOKEN_MS);
        if (!pod.idle) rotations++;
      }
      if (pod.idle && now >= pod.startAt + HOUR) continue;
      if (pod.credentials === undefined || pod.credentials.expiration - now <= pod.leadMs) {
        pod.credentials = await model.request(pod.token);
      }
    }
    await settle();
  }
  model.close();
  const active = pods.filter((p) => !p.idle);
  const idle = pods.filter((p) => p.idle);
  const sum = (list: Pod[], pick: (p: Pod) => number) => list.reduce((n, p) => n + pick(p), 0);
  return {
    activePods: active.length,
    idlePods: idle.length,
    activeCalls: sum(active, (p) => p.calls.length),
    idleCalls: sum(idle, (p) => p.calls.length),
    idleCallsAfterLapse: sum(idle, (p) => p.calls.filter((t) => t > (p.credentials?.expiration ?? 0)).length),
    rotations,
  };
}
