import type { KubeObject } from '../manifests/render.js';

/** Labels only the chart sets (Helm's conventions); kustomize has no release to name. */
export const HELM_ONLY_LABELS = [
  'app.kubernetes.io/managed-by',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/version',
  'helm.sh/chart',
] as const;

/**
 * An object as both renderers should agree on it: without the chart-only labels, with the content
 * hash that names the cluster ConfigMap cut off (kustomize and the chart hash differently), keys
 * sorted so that the order of fields does not matter.
 */
export function comparable(object: object): KubeObject {
  const copy = JSON.parse(
    JSON.stringify(object).replace(/"(pod-identity-agent-cluster)-[a-z0-9]{10}"/g, '"$1-<hash>"'),
  ) as KubeObject;
  const labels = copy.metadata.labels as Record<string, string> | undefined;
  if (labels !== undefined) {
    for (const label of HELM_ONLY_LABELS) delete labels[label];
    if (Object.keys(labels).length === 0) delete (copy.metadata as { labels?: unknown }).labels;
  }
  return copy;
}

/** `kind/namespace/name`, to sort and to name objects in failures. */
export const objectKey = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Objects made comparable and keyed by {@link objectKey}. */
export function byKey(objects: readonly object[]): Record<string, KubeObject> {
  return Object.fromEntries(objects.map(comparable).map((o) => [objectKey(o), o]));
}
