import { LRUCache } from 'lru-cache';
import { checkInteger } from '../checks/option-checks.js';
import { systemTimers, type Timers } from '../timers.js';
import type { PodRecord } from './pod-checker.js';
import { isFinished, type PodLike, toPodRecord } from './pod-record.js';

/** Default number of gone pod uids remembered, so their tokens are refused without asking the API server. */
export const DEFAULT_GONE_MEMORY = 10_000;
/** Most requests waiting for the watch at once; beyond it they are answered from what is known. */
export const MAX_WAITERS = 1_000;

/** Options of {@link createPodStore}. */
export interface PodStoreOptions {
  /** Called once when a pod is deleted or finishes (its cached credentials must go at once). */
  readonly onGone?: ((uid: string) => void) | undefined;
  /** Gone uids remembered. Default {@link DEFAULT_GONE_MEMORY}. */
  readonly goneMemory?: number | undefined;
  /** Times out waiters. Default {@link systemTimers}. */
  readonly timers?: Timers | undefined;
}

/** The live pods of this node by uid, fed by the informer's events. */
export interface PodStore {
  /** An added or updated pod. */
  upsert(pod: PodLike): void;
  /** A deleted pod. */
  remove(pod: PodLike): void;
  /** The live pod with this uid. */
  get(uid: string): PodRecord | undefined;
  /** True when this uid was seen and is now gone (deleted, finished or replaced). */
  isGone(uid: string): boolean;
  /**
   * Resolves with the live pod once it satisfies `ready` (e.g. has an IP), or with whatever is known
   * after `timeoutMs` milliseconds. For pods that start faster than the watch delivers them.
   */
  waitFor(uid: string, ready: (pod: PodRecord) => boolean, timeoutMs: number): Promise<PodRecord | undefined>;
  /** Number of live pods. */
  readonly size: number;
}

interface Waiter {
  readonly ready: (pod: PodRecord) => boolean;
  readonly resolve: (pod: PodRecord | undefined) => void;
}

/**
 * Creates the pod store. A finished pod (`Succeeded`/`Failed`) counts as gone; a terminating pod
 * (deletion timestamp set) stays live until it is deleted. A pod name reused with a new uid
 * (StatefulSets) makes the old uid gone even if its delete event was missed.
 */
export function createPodStore(options: PodStoreOptions = {}): PodStore {
  const timers = options.timers ?? systemTimers;
  const goneMemory = checkInteger('goneMemory', options.goneMemory ?? DEFAULT_GONE_MEMORY);
  const pods = new Map<string, PodRecord>();
  const uidByName = new Map<string, string>();
  const gone = new LRUCache<string, true>({ max: goneMemory });
  const waiters = new Map<string, Set<Waiter>>();
  let waiting = 0;
  const nameKey = (p: PodRecord) => `${p.namespace}/${p.name}`;

  const markGone = (uid: string): void => {
    const pod = pods.get(uid);
    if (pod === undefined && gone.has(uid)) return;
    pods.delete(uid);
    if (pod !== undefined && uidByName.get(nameKey(pod)) === uid) uidByName.delete(nameKey(pod));
    gone.set(uid, true);
    options.onGone?.(uid);
    for (const w of waiters.get(uid) ?? []) w.resolve(undefined);
  };

  const notify = (pod: PodRecord): void => {
    const set = waiters.get(pod.uid);
    if (set === undefined) return;
    for (const w of set) if (w.ready(pod)) w.resolve(pod);
  };

  return {
    upsert(object) {
      const pod = toPodRecord(object);
      if (pod === undefined) return;
      const previous = uidByName.get(nameKey(pod));
      if (previous !== undefined && previous !== pod.uid) markGone(previous);
      if (isFinished(pod) || gone.has(pod.uid)) {
        markGone(pod.uid);
        return;
      }
      pods.set(pod.uid, pod);
      uidByName.set(nameKey(pod), pod.uid);
      notify(pod);
    },
    remove(object) {
      const uid = object.metadata?.uid;
      if (uid) markGone(uid);
    },
    get: (uid) => pods.get(uid),
    isGone: (uid) => gone.has(uid),
    waitFor(uid, ready, timeoutMs) {
      const now = pods.get(uid);
      if ((now !== undefined && ready(now)) || gone.has(uid) || waiting >= MAX_WAITERS)
        return Promise.resolve(now);
      return new Promise((resolve) => {
        const set = waiters.get(uid) ?? new Set<Waiter>();
        waiters.set(uid, set);
        const waiter: Waiter = {
          ready,
          resolve: (pod) => {
            timers.clearTimeout(timer);
            if (set.delete(waiter)) waiting--;
            if (set.size === 0) waiters.delete(uid);
            resolve(pod);
          },
        };
        const timer = timers.setTimeout(() => waiter.resolve(pods.get(uid)), timeoutMs);
        set.add(waiter);
        waiting++;
      });
    },
    get size() {
      return pods.size;
    },
  };
}
