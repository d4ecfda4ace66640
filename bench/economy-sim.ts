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

/** How the pods' clients ask for credentials. */
export interface ClientShape {
  /** SDK processes per pod, each with its own credentials (a web server's workers, sidecars). */
  readonly processesPerPod: number;
  /** Every n-th pod builds a new SDK client for each AWS call, so it asks every minute; 0: none. */
  readonly newClientEvery: number;
  /** Every n-th credentials request of a process is sent twice (the SDK gave up and retried); 0: none. */
  readonly retryEvery: number;
}

/** One SDK client per pod, kept for the pod's life, no retries. */
export const ONE_CLIENT: ClientShape = Object.freeze({
  processesPerPod: 1,
  newClientEvery: 0,
  retryEvery: 0,
});

/** The day where clients repeat: 3 processes per pod, a new client per call in every 4th pod, retries. */
export const REPEATING_CLIENTS: ClientShape = Object.freeze({
  processesPerPod: 3,
  newClientEvery: 4,
  retryEvery: 10,
});

/** One SDK process of a pod, with the credentials it holds. */
interface Process {
  /** The SDK asks again when this little lifetime is left: botocore 15 min, JS SDK 5 min. */
  readonly leadMs: number;
  credentials?: Pick<RoleCredentials, 'expiration'>;
  requests: number;
}

interface Pod {
  readonly name: string;
  readonly startAt: number;
  readonly idle: boolean;
  /** Builds a new client for every AWS call, so asks every minute. */
  readonly newClientPerCall: boolean;
  readonly processes: Process[];
  token: SimToken;
  rotatedAt: number;
  /** Credentials the pod's last process got, to tell when an idle pod's lapsed. */
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
 * Simulates one day of 110 pods on one node with fake time: pods start in the first ~9 minutes;
 * processes refresh like botocore (15 min before expiry) or like the JS SDK (5 min), alternating;
 * 30 % of pods stop calling AWS after their first hour; active pods make an AWS call every minute.
 * `clients` says how many processes each pod runs, which pods build a new client per call and how
 * often a request is retried. With `rotate`, kubelet replaces each token after ~19 h; without, tokens
 * outlive the day (the counterfactual that isolates the calls rotations cost).
 */
export async function simulateDay(
  factory: ModelFactory,
  rotate: boolean,
  clients: ClientShape = ONE_CLIENT,
): Promise<SimOutcome> {
  const time = createFakeTime(SIM_EPOCH);
  const pods: Pod[] = Array.from({ length: PODS }, (_, i) => {
    const name = `pod-${i}`;
    const startAt = SIM_EPOCH + i * 5_000;
    return {
      name,
      startAt,
      idle: i % 10 < 3,
      newClientPerCall: clients.newClientEvery > 0 && i % clients.newClientEvery === 1,
      processes: Array.from({ length: clients.processesPerPod }, (_, p) => ({
        leadMs: ((i + p) % 2 === 0 ? 15 : 5) * 60_000,
        requests: 0,
      })),
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
      for (const proc of pod.processes) {
        const { credentials } = proc;
        if (!pod.newClientPerCall && credentials !== undefined && credentials.expiration - now > proc.leadMs)
          continue;
        proc.requests++;
        if (clients.retryEvery > 0 && proc.requests % clients.retryEvery === 0)
          await model.request(pod.token);
        proc.credentials = await model.request(pod.token);
        pod.credentials = proc.credentials;
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
