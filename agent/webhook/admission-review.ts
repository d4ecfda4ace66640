import { AgentError } from '../errors.js';
import type { JsonPatchOp } from './json-patch.js';
import type { PodShape } from './pod-shape.js';

/** The only AdmissionReview version served (the MutatingWebhookConfiguration asks for v1 only). */
export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

/** The parts of `AdmissionReview.request` the webhook uses. */
export interface AdmissionRequest {
  readonly uid: string;
  /** `request.namespace`: pods being created often have no `metadata.namespace` yet. */
  readonly namespace: string;
  readonly operation: string;
  /** True for `CREATE` of core/v1 `pods` (no subresource): the only requests that may be patched. */
  readonly isPodCreate: boolean;
  /** The pod, present when `isPodCreate`. */
  readonly pod: PodShape | undefined;
}

function invalid(message: string): AgentError {
  return new AgentError('InvalidRequest', { message });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Reads an `admission.k8s.io/v1` AdmissionReview or throws an `InvalidRequest` (400) whose fixed
 * message names the missing or wrong field (never echoing the input).
 */
export function parseAdmissionReview(body: unknown): AdmissionRequest {
  if (!isObject(body)) throw invalid('The body must be a JSON AdmissionReview object.');
  if (body.kind !== 'AdmissionReview') throw invalid('"kind" must be "AdmissionReview".');
  if (body.apiVersion !== ADMISSION_API_VERSION)
    throw invalid(`"apiVersion" must be "${ADMISSION_API_VERSION}".`);
  const request = body.request;
  if (!isObject(request)) throw invalid('"request" must be an object.');
  if (typeof request.uid !== 'string' || request.uid.length === 0 || request.uid.length > 256)
    throw invalid('"request.uid" must be a non-empty string.');
  const operation = typeof request.operation === 'string' ? request.operation : 'CREATE';
  const resource = isObject(request.resource) ? request.resource : {};
  const isPod =
    resource.group === '' &&
    resource.resource === 'pods' &&
    (request.subResource === undefined || request.subResource === '');
  const isPodCreate = isPod && operation === 'CREATE';
  const object = request.object;
  if (isPodCreate && !isObject(object)) throw invalid('"request.object" must be the pod being created.');
  const spec = isObject(object) ? object.spec : undefined;
  if (isPodCreate && (!isObject(spec) || !Array.isArray(spec.containers)))
    throw invalid('"request.object" must be a pod with "spec.containers".');
  const namespace = typeof request.namespace === 'string' ? request.namespace : '';
  if (isPodCreate && namespace === '') throw invalid('"request.namespace" must name the pod\'s namespace.');
  return {
    uid: request.uid,
    namespace,
    operation,
    isPodCreate,
    pod: isPodCreate ? (object as PodShape) : undefined,
  };
}

/** The AdmissionReview answer: always allowed; with a base64 JSONPatch only when there is one. */
export function admissionResponse(uid: string, patch: readonly JsonPatchOp[]): Record<string, unknown> {
  const response: Record<string, unknown> = { uid, allowed: true };
  if (patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
  }
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}
