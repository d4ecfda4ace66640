import type { PodIdentity, VerifiedToken } from '../auth/token-verifier.js';
import { checkInteger } from '../checks/option-checks.js';
import { AgentError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import type { PodChecker, PodRecord } from './pod-checker.js';
import type { PodInformer } from './pod-informer.js';
import type { PodStore } from './pod-store.js';
import type { ReviewMemo } from './review-memo.js';
import { isPodAddress } from './source-address.js';

/** Default time a request waits for the watch to deliver its pod's IP (`--require-pod-ip`), milliseconds. */
export const DEFAULT_POD_WAIT_MS = 2_000;
/** Default time the pod watch may fail before readiness turns unhealthy (`--pod-watch-stale-after`), milliseconds. */
export const DEFAULT_STALE_AFTER_MS = 60_000;

/** Options of {@link createInformerPodChecker}. */
export interface InformerPodCheckerOptions {
  readonly store: PodStore;
  readonly informer: Pick<PodInformer, 'isSynced' | 'stop'> & Partial<Pick<PodInformer, 'failingForMs'>>;
  /** Confirms pods the informer has not seen yet. */
  readonly reviews: ReviewMemo;
  readonly metrics: Pick<Metrics, 'tokenValidations'>;
  /** Require the request's source address to be the pod's IP (pods not on the host network). */
  readonly requirePodIp: boolean;
  /**
   * How long a request waits for the watch to deliver its pod: before the first list, and with
   * `requirePodIp` for a pod not seen yet or without an IP. Milliseconds, default {@link DEFAULT_POD_WAIT_MS}.
   */
  readonly podWaitMs?: number | undefined;
  /**
   * How long the watch may keep failing before readiness says so: past it, pods deleted meanwhile
   * may still be served. Milliseconds, default {@link DEFAULT_STALE_AFTER_MS}.
   */
  readonly staleAfterMs?: number | undefined;
}

const sameObject = (pod: PodRecord, id: PodIdentity) =>
  pod.namespace === id.namespace &&
  pod.name === id.podName &&
  (pod.serviceAccount === undefined || pod.serviceAccount === id.serviceAccount);
const hasAddress = (pod: PodRecord) => pod.hostNetwork || pod.ips.length > 0;

/**
 * The live-pod check against this node's informer (docs/security.md threat 4): a Map lookup per request.
 * A uid seen and gone is refused at once; a uid not seen yet is confirmed with one TokenReview
 * (memoized), because pods start faster than watches deliver. Terminating pods stay live until
 * deleted. With `requirePodIp`, the pod must be known with an IP (waiting up to `podWaitMs` for the
 * watch) and the source address must be one of its IPs, unless it runs on the host network.
 * Refusals count in `tokenValidations{result}`: `pod_not_found`, `pod_ip_mismatch`.
 */
export function createInformerPodChecker(options: InformerPodCheckerOptions): PodChecker {
  const { store, informer, reviews, metrics, requirePodIp } = options;
  const podWaitMs = checkInteger('podWaitMs', options.podWaitMs ?? DEFAULT_POD_WAIT_MS, 0);
  const staleAfterMs = checkInteger('staleAfterMs', options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS);
  const refuse = (result: string, why: string): never => {
    metrics.tokenValidations.inc({ result });
    throw new AgentError('TokenNotBound', { cause: new Error(why) });
  };

  // Answers whatever the store knows now: the pod gone, or present (with an address when one is needed).
  const known = (verified: VerifiedToken, sourceAddress: string | undefined): boolean => {
    const { identity } = verified;
    if (store.isGone(identity.podUid)) return refuse('pod_not_found', 'the pod is gone');
    const pod = store.get(identity.podUid);
    if (pod === undefined || (requirePodIp && !hasAddress(pod))) return false;
    if (!sameObject(pod, identity)) return refuse('pod_not_found', 'the pod uid names another pod');
    if (requirePodIp && !pod.hostNetwork && !isPodAddress(sourceAddress, pod.ips))
      return refuse('pod_ip_mismatch', "the source address is not the pod's IP");
    return true;
  };

  return {
    known,
    async check(verified, context) {
      if (known(verified, context.sourceAddress)) return;
      const { identity } = verified;
      let pod = store.get(identity.podUid);
      if (requirePodIp && (pod === undefined || !hasAddress(pod)))
        pod = await store.waitFor(identity.podUid, hasAddress, podWaitMs);
      // Right after start, the first list is on its way: wait for it rather than ask the API server
      // about every pod of the node at once.
      else if (pod === undefined && !informer.isSynced())
        pod = await store.waitFor(identity.podUid, () => true, podWaitMs);
      // Without a node claim only the watch of this node's pods, or a review that names the node,
      // places the pod here: give the watch its chance first (old clusters' reviews name no node).
      if (pod === undefined && identity.nodeName === undefined && !requirePodIp)
        pod = await store.waitFor(identity.podUid, () => true, podWaitMs);
      if (pod === undefined) {
        if (requirePodIp) return refuse('pod_not_found', 'the pod is not known on this node');
        if (!(await reviews.isAlive(verified)))
          return refuse('pod_not_found', 'TokenReview did not confirm the pod');
        return;
      }
      if (!sameObject(pod, identity)) return refuse('pod_not_found', 'the pod uid names another pod');
      if (requirePodIp && !pod.hostNetwork && !isPodAddress(context.sourceAddress, pod.ips))
        return refuse('pod_ip_mismatch', "the source address is not the pod's IP");
    },
    notReadyReason: () => {
      if (!informer.isSynced()) return 'pods of this node not listed yet';
      const failingMs = informer.failingForMs?.() ?? 0;
      return failingMs > staleAfterMs
        ? `pod watch failing for ${Math.round(failingMs / 1000)} s: pods deleted meanwhile may still be served`
        : undefined;
    },
    close: () => informer.stop(),
  };
}
