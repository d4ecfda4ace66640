import type { JWTPayload } from 'jose';
import { AgentError } from '../errors.js';
import type { PodIdentity } from './token-verifier.js';

/** Longest name or uid accepted in a claim (Kubernetes object names are at most 253 characters). */
const MAX_CLAIM_LENGTH = 253;

type Claims = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Claims {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(reason: string): AgentError {
  // The reason names a claim, never its value: the message is fixed, the cause is for logs.
  return new AgentError('InvalidToken', { cause: new Error(`token claims: ${reason}`) });
}

function text(value: unknown, claim: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_CLAIM_LENGTH)
    throw invalid(`${claim} must be a non-empty string of at most ${MAX_CLAIM_LENGTH} characters`);
  return value;
}

function object(value: unknown, claim: string): Claims {
  if (!isObject(value)) throw invalid(`${claim} must be an object`);
  return value;
}

/**
 * Maps the payload of a signature-checked service-account token to the pod identity it proves
 * (docs/security.md, threat 1). Requires `iss`, `kubernetes.io.namespace`,
 * `kubernetes.io.pod.{name,uid}` and `kubernetes.io.serviceaccount.{name,uid}`; `kubernetes.io.node`
 * is optional (clusters before 1.30) but must be well formed when present. `sub` must equal
 * `system:serviceaccount:<namespace>:<serviceaccount>` (threat 1: no mixing of identities).
 *
 * @param tokenExpiresAtMs the token's `exp`, in milliseconds since the epoch.
 * @throws AgentError `InvalidToken` on any missing or inconsistent claim.
 */
export function toPodIdentity(payload: JWTPayload, tokenExpiresAtMs: number): PodIdentity {
  const issuer = text(payload.iss, 'iss');
  const k8s = object(payload['kubernetes.io'], 'kubernetes.io');
  const namespace = text(k8s.namespace, 'kubernetes.io.namespace');
  const pod = object(k8s.pod, 'kubernetes.io.pod');
  const sa = object(k8s.serviceaccount, 'kubernetes.io.serviceaccount');
  const serviceAccount = text(sa.name, 'kubernetes.io.serviceaccount.name');
  const serviceAccountUid = text(sa.uid, 'kubernetes.io.serviceaccount.uid');
  const podName = text(pod.name, 'kubernetes.io.pod.name');
  const podUid = text(pod.uid, 'kubernetes.io.pod.uid');
  let nodeName: string | undefined;
  if (k8s.node !== undefined) {
    const node = object(k8s.node, 'kubernetes.io.node');
    nodeName = text(node.name, 'kubernetes.io.node.name');
  }
  if (payload.sub !== `system:serviceaccount:${namespace}:${serviceAccount}`)
    throw invalid('sub does not match kubernetes.io namespace and service account');
  if (!Number.isFinite(tokenExpiresAtMs)) throw invalid('exp must be a number');
  return {
    issuer,
    namespace,
    serviceAccount,
    serviceAccountUid,
    podName,
    podUid,
    ...(nodeName === undefined ? {} : { nodeName }),
    tokenExpiresAt: tokenExpiresAtMs,
  };
}
