import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { KubeObject } from '../manifests/render.js';
import { validateObject } from '../manifests/validate.js';

type Model = new (data: never) => { validate(): void };

/** Built-in kinds only the chart's webhook renders (the overlays' kinds are in validate.ts). */
const WEBHOOK_MODELS: Readonly<Record<string, Model>> = {
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': MutatingWebhookConfiguration,
};
/** Custom resources the chart may render; the Kubernetes schemas do not cover them. */
const CUSTOM = new Set(['monitoring.coreos.com/v1', 'cert-manager.io/v1']);

/** Validates a rendered object against the Kubernetes schemas; throws naming the object and field. */
export function validateChartObject(object: KubeObject): void {
  if (CUSTOM.has(object.apiVersion)) return;
  const Model = WEBHOOK_MODELS[`${object.apiVersion}/${object.kind}`];
  if (Model === undefined) {
    validateObject(object);
    return;
  }
  try {
    new Model(object as never).validate();
  } catch (error) {
    throw new Error(`${object.kind} ${object.metadata.name}: ${(error as Error).message}`);
  }
}
