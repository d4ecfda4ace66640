import type { Association, AssociationResolver } from '../associations/association.js';
import { containerPatch } from './container-patch.js';
import {
  EKS_SKIP_CONTAINERS_ANNOTATION,
  EKS_SKIP_LABEL,
  SKIP_ANNOTATION,
  SKIP_CONTAINERS_ANNOTATION,
  TOKEN_VOLUME_NAME,
  tokenVolume,
} from './injection.js';
import { type JsonPatchOp, pointer } from './json-patch.js';
import { arrayOrUndefined, type PodShape, serviceAccountOf } from './pod-shape.js';

/** Options of {@link mutatePod}. */
export interface MutationOptions {
  /** Decides whether the pod's service account has a role (exact name beats `*`). */
  readonly resolver: AssociationResolver;
  /** Audience of the projected token. Default in config: `pods.eks.amazonaws.com`. */
  readonly audience: string;
  /** `expirationSeconds` of the projected token; at least 600 (Kubernetes' minimum). */
  readonly tokenExpirationSeconds: number;
  /** Value of `AWS_CONTAINER_CREDENTIALS_FULL_URI`. */
  readonly credentialsUri: string | URL;
  /** Append the link-local addresses to containers' existing `NO_PROXY`. Default false. */
  readonly noProxyAppend?: boolean | undefined;
  /** Value of `AWS_REGION` and `AWS_DEFAULT_REGION` (`--region`); unset: those two are not added. */
  readonly region?: string | undefined;
}

/** Why the webhook did what it did; also the `result` label of the admissions counter. */
export type MutationResult = 'injected' | 'skipped' | 'unchanged';

/** The outcome of {@link mutatePod}. */
export interface Mutation {
  readonly result: MutationResult;
  /** Short, fixed reason for logs: `opted-out`, `no-association`, `no-containers`, `already-injected`, `injected`. */
  readonly reason: string;
  /** RFC 6902 operations; empty unless `result` is `injected`. */
  readonly patch: readonly JsonPatchOp[];
  /** The association that matched, if any. */
  readonly association?: Association | undefined;
}

/** Throws a `TypeError` naming the first bad option; {@link mutatePod} calls it, apps call it at start-up. */
export function checkMutationOptions(options: MutationOptions): void {
  if (typeof options.resolver?.resolve !== 'function')
    throw new TypeError('"resolver" must implement resolve(namespace, serviceAccount)');
  if (typeof options.audience !== 'string' || options.audience.length === 0)
    throw new TypeError('"audience" must be a non-empty string');
  const seconds = options.tokenExpirationSeconds;
  if (!Number.isInteger(seconds) || seconds < 600 || seconds > 2 ** 32)
    throw new TypeError('"tokenExpirationSeconds" must be an integer of at least 600');
  if (!URL.canParse(String(options.credentialsUri)))
    throw new TypeError('"credentialsUri" must be an absolute URL');
}

/**
 * Computes the JSONPatch that gives `pod` (being created in `namespace`) what EKS gives pods with an
 * association: the token volume and mount, the credential pair, `AWS_STS_REGIONAL_ENDPOINTS` and
 * the region variables. Pods labelled `eks.amazonaws.com/skip-pod-identity-webhook` (IRSA's opt-out)
 * or annotated `pod-identity.k8s.aws/skip: "true"` are skipped. Pure: reads the pod and the resolver, changes nothing. Idempotent: on a
 * pod it already patched it returns `unchanged` with an empty patch. `hostNetwork` pods are injected
 * like any other (the agent serves them on the same addresses).
 */
export function mutatePod(pod: PodShape, namespace: string, options: MutationOptions): Mutation {
  checkMutationOptions(options);
  const annotations = pod.metadata?.annotations ?? {};
  const labels = pod.metadata?.labels ?? {};
  if (annotations[SKIP_ANNOTATION] === 'true' || Object.hasOwn(labels, EKS_SKIP_LABEL))
    return { result: 'skipped', reason: 'opted-out', patch: [] };
  const association = options.resolver.resolve(namespace, serviceAccountOf(pod));
  if (association === undefined) return { result: 'skipped', reason: 'no-association', patch: [] };

  const skipped = new Set([
    ...parseNames(annotations[SKIP_CONTAINERS_ANNOTATION]),
    ...parseNames(annotations[EKS_SKIP_CONTAINERS_ANNOTATION]),
  ]);
  const plan = {
    credentialsUri: String(options.credentialsUri),
    noProxyAppend: options.noProxyAppend === true,
    region: options.region,
  };
  const containerOps: JsonPatchOp[] = [];
  let targets = 0;
  for (const field of ['containers', 'initContainers'] as const) {
    (arrayOrUndefined(pod.spec?.[field]) ?? []).forEach((container, index) => {
      if (container === null || typeof container !== 'object') return;
      if (skipped.has(container.name as string)) return;
      targets++;
      containerOps.push(...containerPatch(container, ['spec', field, index], plan));
    });
  }
  if (targets === 0) {
    const reason = skipped.size > 0 ? 'opted-out' : 'no-containers';
    return { result: 'skipped', reason, patch: [], association };
  }

  const patch: JsonPatchOp[] = [];
  const volumes = arrayOrUndefined(pod.spec?.volumes);
  if (!(volumes ?? []).some((v) => v?.name === TOKEN_VOLUME_NAME)) {
    const volume = tokenVolume(options.audience, options.tokenExpirationSeconds);
    patch.push(
      volumes === undefined
        ? { op: 'add', path: pointer('spec', 'volumes'), value: [volume] }
        : { op: 'add', path: pointer('spec', 'volumes', '-'), value: volume },
    );
  }
  patch.push(...containerOps);
  return patch.length === 0
    ? { result: 'unchanged', reason: 'already-injected', patch, association }
    : { result: 'injected', reason: 'injected', patch, association };
}

function parseNames(value: unknown): Set<string> {
  if (typeof value !== 'string') return new Set();
  return new Set(
    value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );
}
