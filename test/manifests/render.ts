import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** A rendered Kubernetes object, loosely typed for property assertions. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: rendered YAML is asserted on field by field
  readonly [field: string]: any;
}

const MANIFESTS = fileURLToPath(new URL('../../manifests/', import.meta.url));

/** Why `kubectl kustomize` cannot run here, or undefined when it can. */
export function kubectlProblem(): string | undefined {
  const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (probe.error !== undefined) return `kubectl is not installed: ${probe.error.message}`;
  return probe.status === 0 ? undefined : `kubectl does not run: ${probe.stderr.trim()}`;
}

/** `kubectl kustomize manifests/<path>`, parsed. Throws with kubectl's error when rendering fails. */
export function render(path: string): KubeObject[] {
  const result = spawnSync('kubectl', ['kustomize', MANIFESTS + path], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${path} failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout).map((doc) => doc.toJS() as KubeObject);
}

/** The one object of `kind` (and `name`, when given); throws when there is not exactly one. */
export function one(objects: readonly KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, found ${found.length}`);
  return found[0] as KubeObject;
}

/**
 * Replaces `$(VAR)` in container args the way the kubelet does, from the container's `env` values
 * (downward-API fields get the sample values given) and the data of ConfigMaps it names in `envFrom`.
 */
export function containerEnv(
  container: KubeObject,
  objects: readonly KubeObject[],
  fieldValues: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef !== undefined)
      Object.assign(env, one(objects, 'ConfigMap', from.configMapRef.name).data);
  }
  for (const entry of container.env ?? []) {
    const field = entry.valueFrom?.fieldRef?.fieldPath;
    env[entry.name] = entry.value ?? (field === undefined ? '' : (fieldValues[field] ?? ''));
  }
  return env;
}

/** Expands `$(NAME)` references in `args` from `env` (unknown names stay as they are, like the kubelet). */
export function expandArgs(args: readonly string[], env: Readonly<Record<string, string>>): string[] {
  return args.map((a) =>
    a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (ref, name: string) => env[name] ?? ref),
  );
}
