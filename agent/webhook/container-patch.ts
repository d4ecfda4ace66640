import { posix } from 'node:path';
import {
  credentialEnv,
  ENV_CREDENTIALS_URI,
  ENV_TOKEN_FILE,
  NO_PROXY_ADDRESSES,
  NO_PROXY_NAMES,
  regionEnv,
  TOKEN_MOUNT_PATH,
  TOKEN_VOLUME_NAME,
  tokenMount,
} from './injection.js';
import { type JsonPatchOp, pointer } from './json-patch.js';
import { arrayOrUndefined, type ContainerShape } from './pod-shape.js';

/** What one container gets. */
export interface ContainerPlan {
  /** `AWS_CONTAINER_CREDENTIALS_FULL_URI` value, as text. */
  readonly credentialsUri: string;
  /** Append the link-local addresses to an existing literal `NO_PROXY`/`no_proxy`. */
  readonly noProxyAppend: boolean;
  /** `AWS_REGION`/`AWS_DEFAULT_REGION` value; unset: only `AWS_STS_REGIONAL_ENDPOINTS` is added. */
  readonly region?: string | undefined;
}

/**
 * Patch operations for the container at `base` (e.g. `['spec', 'containers', 0]`). Never overwrites:
 * - the mount is skipped when the container already mounts something at the token path or mounts the
 *   token volume anywhere;
 * - the two variables are a unit: a container that sets either one manages its own container
 *   credentials, so neither is added (adding only the token file could send our token to its URI);
 * - the region variables are added one by one, each only when the container's `env` lacks it, and
 *   not at all when the container has `envFrom` (its values are not visible here, and an `env` entry
 *   would override them).
 * An absent or null array is added whole, since RFC 6902 cannot append to a missing array.
 */
export function containerPatch(
  container: ContainerShape,
  base: readonly (string | number)[],
  plan: ContainerPlan,
): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  const mounts = arrayOrUndefined(container.volumeMounts);
  const mounted = (mounts ?? []).some(
    (m) => m?.name === TOKEN_VOLUME_NAME || normalisePath(m?.mountPath) === TOKEN_MOUNT_PATH,
  );
  if (!mounted) {
    ops.push(
      mounts === undefined
        ? { op: 'add', path: pointer(...base, 'volumeMounts'), value: [tokenMount()] }
        : { op: 'add', path: pointer(...base, 'volumeMounts', '-'), value: tokenMount() },
    );
  }

  const env = arrayOrUndefined(container.env);
  const names = new Set((env ?? []).map((e) => e?.name));
  const vars: Record<string, unknown>[] = [];
  if (!names.has(ENV_CREDENTIALS_URI) && !names.has(ENV_TOKEN_FILE))
    vars.push(...credentialEnv(plan.credentialsUri));
  const hasEnvFrom = (arrayOrUndefined(container.envFrom)?.length ?? 0) > 0;
  if (vars.length > 0 && !hasEnvFrom) vars.push(...regionEnv(plan.region).filter((v) => !names.has(v.name)));
  if (env === undefined && vars.length > 0)
    ops.push({ op: 'add', path: pointer(...base, 'env'), value: vars });
  else for (const v of vars) ops.push({ op: 'add', path: pointer(...base, 'env', '-'), value: v });

  if (plan.noProxyAppend && env !== undefined) {
    env.forEach((e, index) => {
      if (!NO_PROXY_NAMES.includes(e?.name as string) || typeof e.value !== 'string') return;
      const value = appendNoProxy(e.value);
      if (value !== e.value)
        ops.push({ op: 'replace', path: pointer(...base, 'env', index, 'value'), value });
    });
  }
  return ops;
}

/** `list` with the link-local addresses it lacks appended (comma-separated, entries trimmed). */
export function appendNoProxy(list: string): string {
  const present = new Set(list.split(',').map((s) => s.trim()));
  const missing = NO_PROXY_ADDRESSES.filter((a) => !present.has(a));
  if (missing.length === 0) return list;
  const trimmed = list.replace(/[\s,]+$/, '');
  return [trimmed, ...missing].filter((s) => s.length > 0).join(',');
}

/**
 * A mount path as the kubelet resolves it: `//`, `/./` and `..` collapsed and trailing slashes
 * dropped, so `/var/run//secrets/./pods.eks.amazonaws.com/serviceaccount/` counts as the token path.
 */
function normalisePath(path: unknown): unknown {
  if (typeof path !== 'string' || path.length === 0) return path;
  const normal = posix.normalize(path);
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
}
