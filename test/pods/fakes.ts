import { Registry } from 'prom-client';
import type { VerifiedToken } from '../../agent/auth/token-verifier.js';
import { AgentError } from '../../agent/errors.js';
import { createMetrics, type Metrics } from '../../agent/metrics/metrics.js';
import type { TokenReviewer, TokenReviewResult } from '../../agent/pods/pod-checker.js';
import type { PodLike } from '../../agent/pods/pod-record.js';
import { EPOCH, podIdentity } from '../fakes/fake-verifier.js';

export { EPOCH };

/** Answers TokenReviews from a set of live pod uids (the token is `jwt-<uid>...`); counts calls. */
export class FakeReviewer implements TokenReviewer {
  readonly alive = new Set<string>();
  readonly tokens: string[] = [];
  failWith: Error | undefined;
  gate: Promise<void> | undefined;

  async review(token: string): Promise<TokenReviewResult> {
    this.tokens.push(token);
    if (this.gate !== undefined) await this.gate;
    if (this.failWith !== undefined) throw this.failWith;
    const uid = /^jwt-(.+?)(?:#\d+)?$/.exec(token)?.[1] ?? '';
    return this.alive.has(uid) ? { authenticated: true, podUid: uid } : { authenticated: false };
  }
}

/** A verified token of pod `uid` in `default`, named `pod-<uid>`; `serial` makes another token of it. */
export function verifiedToken(uid: string, serial = 1): VerifiedToken {
  return {
    identity: podIdentity({
      namespace: 'default',
      podName: `pod-${uid}`,
      podUid: uid,
      serviceAccount: 'app',
    }),
    token: `jwt-${uid}#${serial}`,
    tokenHash: `hash-${uid}-${serial}`,
  };
}

/** A pod object as the API server would send it. */
export function pod(
  uid: string,
  overrides: { ip?: string; hostNetwork?: boolean; phase?: string; deleting?: boolean; name?: string } = {},
): PodLike & { metadata: { uid: string; name: string; namespace: string } } {
  return {
    metadata: {
      uid,
      namespace: 'default',
      name: overrides.name ?? `pod-${uid}`,
      ...(overrides.deleting ? { deletionTimestamp: '2026-09-21T00:00:00Z' } : {}),
    },
    spec: { serviceAccountName: 'app', ...(overrides.hostNetwork ? { hostNetwork: true } : {}) },
    status: {
      phase: overrides.phase ?? 'Running',
      ...(overrides.ip === undefined ? {} : { podIP: overrides.ip, podIPs: [{ ip: overrides.ip }] }),
    },
  };
}

/** Fresh metrics on their own registry. */
export function newMetrics(): Metrics {
  return createMetrics(new Registry());
}

/** The value of `pod_identity_token_validations_total{result}`. */
export async function validations(metrics: Metrics, result: string): Promise<number> {
  const data = await metrics.tokenValidations.get();
  return data.values.find((v) => v.labels.result === result)?.value ?? 0;
}

export const unavailable = () => new AgentError('UpstreamUnavailable', { retryable: true });
