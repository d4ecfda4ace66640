import { describe, expect, it } from 'vitest';
import type { VerifiedToken } from '../../agent/auth/token-verifier.js';
import { createInformerPodChecker } from '../../agent/pods/informer-pod-checker.js';
import { createPodStore } from '../../agent/pods/pod-store.js';
import { createReviewMemo } from '../../agent/pods/review-memo.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { FakeReviewer, newMetrics, pod, unavailable, validations, verifiedToken } from './fakes.js';

function setup(requirePodIp = false) {
  const store = createPodStore();
  const reviewer = new FakeReviewer();
  const metrics = newMetrics();
  const informer = { synced: true, stopped: false, failingMs: 0 };
  const checker = createInformerPodChecker({
    store,
    informer: {
      isSynced: () => informer.synced,
      failingForMs: () => informer.failingMs,
      stop: async () => {
        informer.stopped = true;
      },
    },
    reviews: createReviewMemo({ reviewer, clock: new ManualClock() }),
    metrics,
    requirePodIp,
    podWaitMs: 50,
    staleAfterMs: 60_000,
  });
  const outcome = (token: VerifiedToken, sourceAddress?: string) =>
    checker.check(token, { sourceAddress }).then(
      () => 'ok',
      (e: { code?: string }) => e.code,
    );
  return { store, reviewer, metrics, informer, checker, outcome };
}

describe('createInformerPodChecker', () => {
  it('accepts a live pod of this node without asking the API server', async () => {
    const { store, reviewer, outcome } = setup();
    store.upsert(pod('a'));
    expect(await outcome(verifiedToken('a'))).toBe('ok');
    expect(reviewer.tokens).toHaveLength(0);
  });

  it('waits for the watch, not a TokenReview, when a token without a node claim names a pod not seen yet', async () => {
    const { store, reviewer, outcome } = setup();
    const token = verifiedToken('a');
    const unclaimed = { ...token, identity: { ...token.identity, nodeName: undefined } };
    setTimeout(() => store.upsert(pod('a')), 10);
    expect(await outcome(unclaimed)).toBe('ok');
    expect(reviewer.tokens).toHaveLength(0);
  });

  it('turns not ready once the watch has kept failing past staleAfterMs, and ready again once it recovers', () => {
    const { informer, checker } = setup();
    informer.failingMs = 60_000;
    expect(checker.notReadyReason()).toBeUndefined();
    informer.failingMs = 60_001;
    expect(checker.notReadyReason()).toMatch(/pod watch failing/);
    informer.failingMs = 0;
    expect(checker.notReadyReason()).toBeUndefined();
  });

  it('accepts a terminating pod until it is deleted', async () => {
    const { store, outcome } = setup();
    store.upsert(pod('a', { deleting: true }));
    expect(await outcome(verifiedToken('a'))).toBe('ok');
    store.remove(pod('a'));
    expect(await outcome(verifiedToken('a'))).toBe('TokenNotBound');
  });

  it('refuses a deleted pod at once, without a TokenReview, and counts it', async () => {
    const { store, reviewer, metrics, outcome } = setup();
    store.upsert(pod('a'));
    store.remove(pod('a'));
    reviewer.alive.add('a');
    expect(await outcome(verifiedToken('a'))).toBe('TokenNotBound');
    expect(reviewer.tokens).toHaveLength(0);
    expect(await validations(metrics, 'pod_not_found')).toBe(1);
  });

  it('confirms a pod not seen yet with one TokenReview', async () => {
    const { reviewer, outcome } = setup();
    reviewer.alive.add('new');
    expect(await outcome(verifiedToken('new'))).toBe('ok');
    expect(await outcome(verifiedToken('new'))).toBe('ok');
    expect(reviewer.tokens).toHaveLength(1);
  });

  it('refuses a pod not seen when the TokenReview says no', async () => {
    const { outcome } = setup();
    expect(await outcome(verifiedToken('ghost'))).toBe('TokenNotBound');
  });

  it('answers UpstreamUnavailable when the TokenReview cannot be made', async () => {
    const { reviewer, outcome } = setup();
    reviewer.failWith = unavailable();
    expect(await outcome(verifiedToken('new'))).toBe('UpstreamUnavailable');
  });

  it('refuses a token whose pod uid belongs to a pod of another name', async () => {
    const { store, outcome } = setup();
    store.upsert(pod('a', { name: 'someone-else' }));
    expect(await outcome(verifiedToken('a'))).toBe('TokenNotBound');
  });

  it('waits for the first list before asking the API server about a pod', async () => {
    const { store, reviewer, informer, outcome } = setup();
    informer.synced = false;
    const answer = outcome(verifiedToken('a'));
    store.upsert(pod('a'));
    informer.synced = true;
    expect(await answer).toBe('ok');
    expect(reviewer.tokens).toHaveLength(0);
  });

  it('is not ready until the informer has listed the pods', () => {
    const { informer, checker } = setup();
    informer.synced = false;
    expect(checker.notReadyReason()).toMatch(/not listed/);
    informer.synced = true;
    expect(checker.notReadyReason()).toBeUndefined();
  });

  it('stops the informer on close', async () => {
    const { informer, checker } = setup();
    await checker.close();
    expect(informer.stopped).toBe(true);
  });
});

describe('createInformerPodChecker with --require-pod-ip', () => {
  it.each([
    ['the pod IP', '10.0.0.1', 'ok'],
    ['the pod IP, IPv4-mapped', '::ffff:10.0.0.1', 'ok'],
    ["another pod's IP", '10.0.0.2', 'TokenNotBound'],
    ['no address', undefined, 'TokenNotBound'],
  ])('answers a request from %s (%s) with %s', async (_what, address, expected) => {
    const { store, outcome } = setup(true);
    store.upsert(pod('a', { ip: '10.0.0.1' }));
    expect(await outcome(verifiedToken('a'), address)).toBe(expected);
  });

  it('counts a wrong source address as pod_ip_mismatch', async () => {
    const { store, metrics, outcome } = setup(true);
    store.upsert(pod('a', { ip: '10.0.0.1' }));
    await outcome(verifiedToken('a'), '10.0.0.9');
    expect(await validations(metrics, 'pod_ip_mismatch')).toBe(1);
  });

  it('does not check the address of a pod on the host network', async () => {
    const { store, outcome } = setup(true);
    store.upsert(pod('h', { hostNetwork: true, ip: '192.168.1.10' }));
    expect(await outcome(verifiedToken('h'), '127.0.0.1')).toBe('ok');
  });

  it('waits for the watch to deliver the IP of a pod that just started', async () => {
    const { store, outcome } = setup(true);
    const answer = outcome(verifiedToken('a'), '10.0.0.1');
    store.upsert(pod('a', { ip: '10.0.0.1' }));
    expect(await answer).toBe('ok');
  });

  it('refuses a pod the watch never delivers, even if a TokenReview would confirm it', async () => {
    const { reviewer, outcome } = setup(true);
    reviewer.alive.add('a');
    expect(await outcome(verifiedToken('a'), '10.0.0.1')).toBe('TokenNotBound');
  });
});
