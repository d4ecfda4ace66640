/**
 * The few parts of a core/v1 Pod the webhook reads. Admission gives us untyped JSON, so every field
 * is optional and read defensively; nothing here is trusted to be well formed.
 */

/** `EnvVar`: only a literal `value` can be inspected (NO_PROXY append). */
export interface EnvVarShape {
  readonly name?: unknown;
  readonly value?: unknown;
  readonly valueFrom?: unknown;
}

/** `VolumeMount`. */
export interface VolumeMountShape {
  readonly name?: unknown;
  readonly mountPath?: unknown;
}

/** `Container` (also init containers). */
export interface ContainerShape {
  readonly name?: unknown;
  readonly env?: readonly EnvVarShape[] | null;
  /** Only whether it is there: its values come from objects the webhook does not read. */
  readonly envFrom?: readonly unknown[] | null;
  readonly volumeMounts?: readonly VolumeMountShape[] | null;
}

/** `Pod`, as found in `AdmissionReview.request.object`. */
export interface PodShape {
  readonly metadata?: {
    readonly name?: unknown;
    readonly generateName?: unknown;
    readonly labels?: Readonly<Record<string, unknown>> | null;
    readonly annotations?: Readonly<Record<string, unknown>> | null;
  } | null;
  readonly spec?: {
    readonly serviceAccountName?: unknown;
    /** Deprecated alias of `serviceAccountName`, still honoured by the API server. */
    readonly serviceAccount?: unknown;
    readonly volumes?: readonly { readonly name?: unknown }[] | null;
    readonly containers?: readonly ContainerShape[] | null;
    readonly initContainers?: readonly ContainerShape[] | null;
  } | null;
}

/** The service account a pod runs as: `spec.serviceAccountName`, else the deprecated alias, else `default`. */
export function serviceAccountOf(pod: PodShape): string {
  const spec = pod.spec ?? {};
  for (const name of [spec.serviceAccountName, spec.serviceAccount]) {
    if (typeof name === 'string' && name.length > 0) return name;
  }
  return 'default';
}

/** A readable name for logs: `metadata.name`, else `generateName*` (pods from controllers have no name yet). */
export function podLabelOf(pod: PodShape): string {
  const meta = pod.metadata ?? {};
  if (typeof meta.name === 'string' && meta.name.length > 0) return meta.name;
  if (typeof meta.generateName === 'string') return `${meta.generateName}*`;
  return '(unnamed)';
}

/** `value` when it is an array, else undefined (absent, null or malformed). */
export function arrayOrUndefined<T>(value: readonly T[] | null | undefined): readonly T[] | undefined {
  return Array.isArray(value) ? value : undefined;
}
