import { describe, expect, it } from 'vitest';
import type { PodRecord } from '../../agent/pods/pod-checker.js';
import { createPodStore, MAX_WAITERS } from '../../agent/pods/pod-store.js';
import { FakeTime } from '../fakes/fake-time.js';
import { pod } from './fakes.js';

function store() {
  const gone: string[] = [];
  const time = new FakeTime();
  return {
    gone,
    time,
    store: createPodStore({ onGone: (uid) => gone.push(uid), goneMemory: 3, timers: time }),
  };
}

describe('createPodStore', () => {
  it('keeps a pod with its IPs, host network flag and terminating state', () => {
    const { store: s } = store();
    s.upsert(pod('a', { ip: '10.0.0.1', deleting: true }));
    expect(s.get('a')).toMatchObject({
      uid: 'a',
      namespace: 'default',
      name: 'pod-a',
      serviceAccount: 'app',
      ips: ['10.0.0.1'],
      hostNetwork: false,
      terminating: true,
    });
    expect(s.size).toBe(1);
  });

  it('reports a deleted pod gone once and remembers it', () => {
    const { store: s, gone } = store();
    s.upsert(pod('a'));
    s.remove(pod('a'));
    s.remove(pod('a'));
    expect(s.get('a')).toBeUndefined();
    expect(s.isGone('a')).toBe(true);
    expect(gone).toEqual(['a']);
  });

  it.each(['Succeeded', 'Failed'])('treats a %s pod as gone', (phase) => {
    const { store: s, gone } = store();
    s.upsert(pod('a'));
    s.upsert(pod('a', { phase }));
    expect(s.get('a')).toBeUndefined();
    expect(gone).toEqual(['a']);
  });

  it('keeps a gone uid gone when a late update arrives', () => {
    const { store: s } = store();
    s.upsert(pod('a'));
    s.remove(pod('a'));
    s.upsert(pod('a'));
    expect(s.get('a')).toBeUndefined();
  });

  it('makes the old uid gone when a pod name comes back with a new uid', () => {
    const { store: s, gone } = store();
    s.upsert(pod('old', { name: 'web-0' }));
    s.upsert(pod('new', { name: 'web-0' }));
    expect(gone).toEqual(['old']);
    expect(s.get('new')?.name).toBe('web-0');
  });

  it('ignores objects without a uid', () => {
    const { store: s } = store();
    s.upsert({ metadata: { name: 'x', namespace: 'default' } });
    expect(s.size).toBe(0);
  });

  it('remembers a bounded number of gone uids', () => {
    const { store: s } = store();
    for (const uid of ['a', 'b', 'c', 'd']) s.remove(pod(uid));
    expect(s.isGone('a')).toBe(false);
    expect(s.isGone('d')).toBe(true);
  });

  it('resolves a waiter as soon as the pod gets an IP', async () => {
    const { store: s } = store();
    const waiting = s.waitFor('a', (p) => p.ips.length > 0, 10_000);
    s.upsert(pod('a'));
    s.upsert(pod('a', { ip: '10.0.0.1' }));
    expect((await waiting)?.ips).toEqual(['10.0.0.1']);
  });

  it('resolves a waiter with what is known after the timeout, not before', async () => {
    const { store: s, time } = store();
    s.upsert(pod('a'));
    let found: PodRecord | undefined | 'waiting' = 'waiting';
    void s
      .waitFor('a', (p) => p.ips.length > 0, 2_000)
      .then((pod) => {
        found = pod;
      });
    await time.advance(1_999);
    expect(found).toBe('waiting');
    await time.advance(1);
    expect(found).toMatchObject({ uid: 'a', ips: [] });
    expect(time.timerCount).toBe(0);
  });

  it('resolves a waiter with nothing when the pod goes, and clears its timer', async () => {
    const { store: s, time } = store();
    const waiting = s.waitFor('a', () => true, 10_000);
    s.remove(pod('a'));
    expect(await waiting).toBeUndefined();
    expect(time.timerCount).toBe(0);
  });

  it('does not let waiters pile up without bound', async () => {
    const { store: s } = store();
    const waits = Array.from({ length: MAX_WAITERS }, (_, i) => s.waitFor(`w${i}`, () => true, 60_000));
    // Answered at once from what is known: no timer is set for it.
    expect(await s.waitFor('extra', () => true, 60_000)).toBeUndefined();
    for (let i = 0; i < MAX_WAITERS; i++) s.upsert(pod(`w${i}`));
    expect((await Promise.all(waits)).every((p) => p !== undefined)).toBe(true);
  });
});
