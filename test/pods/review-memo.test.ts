import { describe, expect, it } from 'vitest';
import { isAgentError } from '../../agent/errors.js';
import { createReviewMemo } from '../../agent/pods/review-memo.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { FakeReviewer, unavailable, verifiedToken } from './fakes.js';

function setup(
  options: {
    maxEntries?: number;
    maxInFlight?: number;
    maxPerSecond?: number;
    maxPerAccountPerSecond?: number;
  } = {},
) {
  const clock = new ManualClock();
  const reviewer = new FakeReviewer();
  const memo = createReviewMemo({ reviewer, clock, ttlMs: 30_000, ...options });
  return { clock, reviewer, memo };
}

describe('createReviewMemo', () => {
  it('asks once per token and reuses the answer within the TTL', async () => {
    const { reviewer, memo, clock } = setup();
    reviewer.alive.add('a');
    expect(await memo.isAlive(verifiedToken('a'))).toBe(true);
    clock.advance(29_999);
    expect(await memo.isAlive(verifiedToken('a'))).toBe(true);
    expect(reviewer.tokens).toEqual(['jwt-a#1']);
  });

  it('asks again after the TTL and sees the pod gone', async () => {
    const { reviewer, memo, clock } = setup();
    reviewer.alive.add('a');
    await memo.isAlive(verifiedToken('a'));
    reviewer.alive.delete('a');
    clock.advance(30_000);
    expect(await memo.isAlive(verifiedToken('a'))).toBe(false);
    expect(reviewer.tokens).toHaveLength(2);
  });

  it('remembers a refusal too', async () => {
    const { reviewer, memo } = setup();
    expect(await memo.isAlive(verifiedToken('x'))).toBe(false);
    expect(await memo.isAlive(verifiedToken('x'))).toBe(false);
    expect(reviewer.tokens).toHaveLength(1);
  });

  it('refuses an authenticated token whose pod uid is another pod', async () => {
    const { reviewer, memo } = setup();
    reviewer.review = async () => ({ authenticated: true, podUid: 'other' });
    expect(await memo.isAlive(verifiedToken('a'))).toBe(false);
  });

  it.each<[string, string | undefined, string | undefined, boolean]>([
    ['names this node', 'node-a', undefined, true],
    ['names another node', 'node-b', 'node-a', false],
    ['names no node, and the token claims this node', undefined, 'node-a', true],
    ['names no node, and the token has no node claim (clusters before 1.30)', undefined, undefined, false],
  ])('with --node-name, confirms a pod only when the review %s', async (_, reviewNode, tokenNode, alive) => {
    const clock = new ManualClock();
    const memo = createReviewMemo({
      reviewer: { review: async () => ({ authenticated: true, podUid: 'a', nodeName: reviewNode }) },
      clock,
      nodeName: 'node-a',
    });
    const token = verifiedToken('a');
    expect(await memo.isAlive({ ...token, identity: { ...token.identity, nodeName: tokenNode } })).toBe(
      alive,
    );
  });

  it('starts at most twice maxPerSecond new reviews at once, then one more per 1/maxPerSecond s', async () => {
    const { reviewer, memo, clock } = setup({ maxPerSecond: 2 });
    for (const name of ['a', 'b', 'c', 'd']) await memo.isAlive(verifiedToken(name));
    await expect(memo.isAlive(verifiedToken('e'))).rejects.toSatisfy(
      (e: unknown) => isAgentError(e) && e.code === 'Throttled' && e.retryable,
    );
    clock.advance(500);
    await memo.isAlive(verifiedToken('e'));
    expect(reviewer.tokens).toHaveLength(5);
  });

  it("keeps one service account's many tokens to its own share of the node's review budget", async () => {
    const { reviewer, memo } = setup({ maxPerSecond: 20 });
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        memo.isAlive(verifiedToken(`pod-${i}`)).then(
          () => 'asked',
          (error: unknown) => (isAgentError(error) ? error.code : 'other'),
        ),
      ),
    );
    expect(answers.filter((a) => a === 'asked')).toHaveLength(10);
    expect(answers.filter((a) => a === 'Throttled')).toHaveLength(20);
    const other = verifiedToken('b');
    expect(await memo.isAlive({ ...other, identity: { ...other.identity, serviceAccount: 'other' } })).toBe(
      false,
    );
    expect(reviewer.tokens).toHaveLength(11);
  });

  it('shares one review between concurrent asks for one token', async () => {
    const { reviewer, memo } = setup();
    reviewer.alive.add('a');
    const answers = await Promise.all([1, 2, 3].map(() => memo.isAlive(verifiedToken('a'))));
    expect(answers).toEqual([true, true, true]);
    expect(reviewer.tokens).toHaveLength(1);
  });

  it('does not remember failures', async () => {
    const { reviewer, memo } = setup();
    reviewer.failWith = unavailable();
    await expect(memo.isAlive(verifiedToken('a'))).rejects.toMatchObject({ code: 'UpstreamUnavailable' });
    reviewer.failWith = undefined;
    reviewer.alive.add('a');
    expect(await memo.isAlive(verifiedToken('a'))).toBe(true);
  });

  it('answers Throttled beyond the in-flight bound', async () => {
    const { reviewer, memo } = setup({ maxInFlight: 2 });
    let open = (): void => {};
    reviewer.gate = new Promise((resolve) => {
      open = resolve;
    });
    const first = [memo.isAlive(verifiedToken('a')), memo.isAlive(verifiedToken('b'))];
    const third = await memo.isAlive(verifiedToken('c')).catch((e: unknown) => e);
    expect(isAgentError(third) && third.code).toBe('Throttled');
    open();
    await Promise.all(first);
    expect(reviewer.tokens).toHaveLength(2);
  });

  it('keeps a bounded number of answers', async () => {
    const { memo } = setup({ maxEntries: 5, maxPerSecond: 100, maxPerAccountPerSecond: 100 });
    for (let i = 0; i < 50; i++) await memo.isAlive(verifiedToken(`p${i}`));
    expect(memo.size).toBe(5);
  });

  it.each([
    ['ttlMs', { ttlMs: 0 }],
    ['maxEntries', { maxEntries: -1 }],
    ['maxInFlight', { maxInFlight: 1.5 }],
    ['maxPerSecond', { maxPerSecond: 0 }],
  ])('names the bad option %s', (name, bad) => {
    expect(() =>
      createReviewMemo({ reviewer: new FakeReviewer(), clock: new ManualClock(), ...bad }),
    ).toThrow(`"${name}"`);
  });
});
