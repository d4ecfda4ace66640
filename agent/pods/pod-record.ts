import type { PodRecord } from './pod-checker.js';

/**
 * The fields of a pod the agent reads. Watch events arrive as plain JSON, list items as client
 * objects, so timestamps may be strings or `Date`s: only their presence matters here.
 */
export interface PodLike {
  readonly metadata?: {
    readonly uid?: string;
    readonly namespace?: string;
    readonly name?: string;
    readonly deletionTimestamp?: unknown;
  };
  readonly spec?: { readonly hostNetwork?: boolean; readonly serviceAccountName?: string };
  readonly status?: {
    readonly phase?: string;
    readonly podIP?: string;
    readonly podIPs?: readonly { readonly ip?: string }[];
  };
}

/** Phases in which every container has stopped for good: nobody legitimate holds the token any more. */
const TERMINAL_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed']);

/** Maps a pod object to what the agent keeps; undefined when it lacks a uid, namespace or name. */
export function toPodRecord(pod: PodLike): PodRecord | undefined {
  const { uid, namespace, name, deletionTimestamp } = pod.metadata ?? {};
  if (!uid || !namespace || !name) return undefined;
  const ips = new Set<string>();
  if (pod.status?.podIP) ips.add(pod.status.podIP);
  for (const entry of pod.status?.podIPs ?? []) if (entry.ip) ips.add(entry.ip);
  return Object.freeze({
    uid,
    namespace,
    name,
    serviceAccount: pod.spec?.serviceAccountName,
    ips: Object.freeze([...ips]),
    hostNetwork: pod.spec?.hostNetwork === true,
    terminating: deletionTimestamp !== undefined && deletionTimestamp !== null,
    phase: pod.status?.phase,
  });
}

/** True when the pod's containers have all stopped for good (`Succeeded` or `Failed`). */
export function isFinished(record: PodRecord): boolean {
  return record.phase !== undefined && TERMINAL_PHASES.has(record.phase);
}
