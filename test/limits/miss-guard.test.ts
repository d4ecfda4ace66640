import { describe, expect, it } from 'vitest';
import { AgentError } from '../../agent/errors.js';
import { createMissGuard, type MissGuardOptions } from '../../agent/limits/miss-guard.js';
import { FakeTime, HOUR, MINUTE, podToken, setup } from '../cache/fakes.js';

/** A cache with a miss guard, both on one fake clock. */
function setupGuarded(guard: Omit<MissGuardOptions, 'clock'> = {}) {
  const time = new FakeTime();
  const missGuard = createMissGuard({ clock: time, ...guard });
  return { ...setup({ missGuard }, time), missGuard };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'served',
    (error: AgentError) => error.code,
  );

describe('createMissGuard in the credential cache', () => {
  it('answers a refused service account from memory until the refusal TTL has passed', async () => {
    const t = setupGuarded({ refusalTtlMs: 30_000 });
    t.exchanger.failWith = new AgentError('NoAssociation');
    for (let pod = 0; pod < 50; pod++)
      expect(await codeOf(t.cache.get(podToken(`p${pod % 5}`)))).toBe('NoAssociation');
    expect(t.exchanger.calls).toHaveLength(1);
    await t.time.advance(30_001);
    expect(await codeOf(t.cache.get(podToken('p1')))).toBe('NoAssociation');
    expect(t.exchanger.calls).toHaveLength(2);
  });

  it('remembers no refusal with refusalTtlMs 0', async () => {
    const t = setupGuarded({ refusalTtlMs: 0 });
    t.exchanger.failWith = new AgentError('NoAssociation');
    await codeOf(t.cache.get(podToken('a')));
    await codeOf(t.cache.get(podToken('a')));
    expect(t.exchanger.calls).toHaveLength(2);
    expect(t.missGuard.refusals).toBe(0);
  });

  it('does not remember a retryable failure', async () => {
    const t = setupGuarded();
    t.exchanger.failWith = new AgentError('UpstreamUnavailable', { retryable: true });
    await codeOf(t.cache.get(podToken('a')));
    t.exchanger.failWith = undefined;
    expect(await codeOf(t.cache.get(podToken('a')))).toBe('served');
    expect(t.exchanger.calls).toHaveLength(2);
  });

  it('forgets a refusal at once when the cache drops its service account (an association changed)', async () => {
    const t = setupGuarded();
    t.exchanger.failWith = new AgentError('NoAssociation');
    await codeOf(t.cache.get(podToken('a')));
    expect(t.missGuard.refusals).toBe(1);
    t.exchanger.failWith = undefined;
    t.cache.drop((identity) => identity.serviceAccount === 'app');
    expect(t.missGuard.refusals).toBe(0);
    expect(await codeOf(t.cache.get(podToken('a')))).toBe('served');
  });

  it('answers Throttled past the node-wide budget for misses, and refreshes do not spend it', async () => {
    const t = setupGuarded({ missesPerSecond: 2, missBurst: 4 });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => codeOf(t.cache.get(podToken(`pod-${i}`)))),
    );
    expect(answers.filter((a) => a === 'served')).toHaveLength(4);
    expect(answers.filter((a) => a === 'Throttled')).toHaveLength(6);
    expect(t.exchanger.calls).toHaveLength(4);
    // The four cached pods are in use; their refreshes come due and go upstream without taking from
    // the budget, which still admits exactly its burst of new pods right after.
    for (let i = 0; i < 4; i++) await t.cache.get(podToken(`pod-${i}`));
    await t.time.advance(6 * HOUR - 24 * MINUTE);
    expect(t.exchanger.calls.length).toBe(8);
    const after = await Promise.all(
      Array.from({ length: 5 }, (_, i) => codeOf(t.cache.get(podToken(`new-${i}`)))),
    );
    expect(after).toEqual(['served', 'served', 'served', 'served', 'Throttled']);
  });

  it('lets concurrent misses of one identity join one call without spending more of the budget', async () => {
    const t = setupGuarded({ missesPerSecond: 1, missBurst: 1 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => codeOf(t.cache.get(podToken('a')))));
    expect(answers.every((a) => a === 'served')).toBe(true);
    expect(t.exchanger.calls).toHaveLength(1);
  });
});
