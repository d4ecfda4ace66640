import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../clock.js';
import type { ServerConfig } from '../config/parse-config.js';
import type { Metrics } from '../metrics/metrics.js';
import { createInformerPodChecker } from './informer-pod-checker.js';
import { createKubeTokenReviewer } from './kube-token-reviewer.js';
import type { PodChecker, TokenReviewer } from './pod-checker.js';
import { createPodInformer, type InformerLogger } from './pod-informer.js';
import { createPodStore } from './pod-store.js';
import { createReviewMemo } from './review-memo.js';
import { createReviewPodChecker } from './review-pod-checker.js';

/** Options of {@link createPodCheck}. */
export interface PodCheckOptions {
  readonly config: Pick<ServerConfig, 'podCheck' | 'nodeName' | 'requirePodIp' | 'audience'> &
    Partial<Pick<ServerConfig, 'podWatchStaleAfterMs'>>;
  /** Loads the API server's address and credentials (only called when the check is on). */
  readonly kubeConfig: () => KubeConfig;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly logger: InformerLogger;
  /** Called once when a pod of this node is deleted or finishes: drop its cached credentials. */
  readonly onPodGone: (uid: string) => void;
  /** Test override of the TokenReview client. */
  readonly reviewer?: TokenReviewer | undefined;
  /** First informer retry delay, milliseconds (tests shorten it). */
  readonly retryDelayMs?: number | undefined;
}

/**
 * Builds the live-pod check `--pod-check` asks for: `informer` (watch this node's pods, TokenReview
 * for pods not seen yet, started here), `tokenreview`, or undefined for `off`.
 */
export function createPodCheck(options: PodCheckOptions): PodChecker | undefined {
  const { config, clock, metrics, logger } = options;
  if (config.podCheck === 'off') return undefined;
  const kubeConfig = options.kubeConfig();
  const reviewer = options.reviewer ?? createKubeTokenReviewer({ kubeConfig, audience: config.audience });
  // A token from another node is never served: the review must place its pod on this node.
  const reviews = createReviewMemo({ reviewer, clock, nodeName: config.nodeName });
  if (config.podCheck === 'tokenreview') return createReviewPodChecker(reviews, metrics);
  if (config.nodeName === undefined) throw new Error('--pod-check informer needs --node-name');
  const store = createPodStore({ onGone: options.onPodGone });
  const informer = createPodInformer({
    kubeConfig,
    nodeName: config.nodeName,
    store,
    logger,
    retryDelayMs: options.retryDelayMs,
    clock,
  });
  informer.start();
  return createInformerPodChecker({
    store,
    informer,
    reviews,
    metrics,
    requirePodIp: config.requirePodIp,
    staleAfterMs: config.podWatchStaleAfterMs,
  });
}
