import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { KubeObject } from './render.js';

type Model = new (data: never) => { validate(): void };

/** kubernetes-models class per `apiVersion/kind` of every built-in kind the manifests use. */
const MODELS: Readonly<Record<string, Model>> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/DaemonSet': DaemonSet,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
};

/**
 * Validates a built-in object against the Kubernetes OpenAPI schema; throws naming the object and
 * the failing field. Kinds without a model (CRDs) throw too, so a new kind cannot slip through.
 */
export function validateObject(object: KubeObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (Model === undefined) throw new Error(`no schema model for ${object.apiVersion} ${object.kind}`);
  try {
    new Model(object as never).validate();
  } catch (error) {
    throw new Error(`${object.kind} ${object.metadata.name}: ${(error as Error).message}`);
  }
}

/** Checks a monitoring.coreos.com/v1 PodMonitor by hand (a CRD: no model). Returns the problems. */
export function podMonitorProblems(object: KubeObject): string[] {
  const problems: string[] = [];
  const spec = object.spec;
  if (object.apiVersion !== 'monitoring.coreos.com/v1') problems.push('apiVersion');
  if (typeof spec?.selector?.matchLabels !== 'object') problems.push('spec.selector.matchLabels');
  const endpoints = spec?.podMetricsEndpoints;
  if (!Array.isArray(endpoints) || endpoints.length === 0) problems.push('spec.podMetricsEndpoints');
  for (const e of endpoints ?? []) {
    if (typeof e.port !== 'string') problems.push('podMetricsEndpoints[].port must be a port name');
    if (e.path !== undefined && typeof e.path !== 'string') problems.push('podMetricsEndpoints[].path');
    if (e.interval !== undefined && !/^\d+(ms|s|m|h)$/.test(e.interval)) problems.push('interval');
  }
  const allowed = new Set([
    'selector',
    'podMetricsEndpoints',
    'namespaceSelector',
    'jobLabel',
    'podTargetLabels',
  ]);
  for (const key of Object.keys(spec ?? {})) if (!allowed.has(key)) problems.push(`unknown spec.${key}`);
  return problems;
}
