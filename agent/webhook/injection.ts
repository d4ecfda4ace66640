/**
 * What the webhook injects: the same names and values EKS gives pods with an association, so SDKs,
 * the agent and docs see the same thing on every cluster.
 */

/** Name of the projected volume, and of the token file inside it. */
export const TOKEN_VOLUME_NAME = 'eks-pod-identity-token';
/** Where every container sees the token directory (read-only). */
export const TOKEN_MOUNT_PATH = '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount';
/** Full path of the token file, the value of `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`. */
export const TOKEN_FILE_PATH = `${TOKEN_MOUNT_PATH}/${TOKEN_VOLUME_NAME}`;
/** The credentials endpoint variable read by every AWS SDK. */
export const ENV_CREDENTIALS_URI = 'AWS_CONTAINER_CREDENTIALS_FULL_URI';
/** The token file variable; SDKs re-read the file on every fetch, so kubelet rotation just works. */
export const ENV_TOKEN_FILE = 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE';
/**
 * `mode 0644` in decimal. The API server defaults `defaultMode` to 420 anyway; writing it out makes the
 * patched pod equal to the stored pod, and keeps the token readable by a non-root container user.
 */
export const TOKEN_VOLUME_DEFAULT_MODE = 420;
/** Pod annotation: `"true"` means inject nothing into this pod. */
export const SKIP_ANNOTATION = 'pod-identity.k8s.aws/skip';
/** Pod annotation: comma-separated container names (containers or init containers) left untouched. */
export const SKIP_CONTAINERS_ANNOTATION = 'pod-identity.k8s.aws/skip-containers';
/** The same, as EKS and IRSA's webhook spell it; both are honoured (names from either are skipped). */
export const EKS_SKIP_CONTAINERS_ANNOTATION = 'eks.amazonaws.com/skip-containers';
/** Pod label IRSA's webhook users put on pods it must leave alone (any value: its selector is DoesNotExist). */
export const EKS_SKIP_LABEL = 'eks.amazonaws.com/skip-pod-identity-webhook';
/** Regional STS endpoints for SDKs that still default to the global one, as EKS injects. */
export const ENV_STS_REGIONAL_ENDPOINTS = 'AWS_STS_REGIONAL_ENDPOINTS';
/** The region variables EKS injects (SDKs read one or the other). */
export const ENV_REGION_NAMES: readonly string[] = Object.freeze(['AWS_REGION', 'AWS_DEFAULT_REGION']);
/** Addresses appended to an existing `NO_PROXY`/`no_proxy` with `--no-proxy-append` (docs/compatibility.md). */
export const NO_PROXY_ADDRESSES: readonly string[] = Object.freeze(['169.254.170.23', '[fd00:ec2::23]']);
/** Proxy-bypass variables, both spellings (Go reads either; curl and Python prefer lower case). */
export const NO_PROXY_NAMES: readonly string[] = Object.freeze(['NO_PROXY', 'no_proxy']);

/** The projected volume for `audience` and `expirationSeconds`. */
export function tokenVolume(audience: string, expirationSeconds: number): Record<string, unknown> {
  return {
    name: TOKEN_VOLUME_NAME,
    projected: {
      defaultMode: TOKEN_VOLUME_DEFAULT_MODE,
      sources: [{ serviceAccountToken: { audience, expirationSeconds, path: TOKEN_VOLUME_NAME } }],
    },
  };
}

/** The read-only mount added to each container. */
export function tokenMount(): Record<string, unknown> {
  return { name: TOKEN_VOLUME_NAME, mountPath: TOKEN_MOUNT_PATH, readOnly: true };
}

/**
 * The variables EKS adds besides the credential pair, each only where the container does not set it:
 * `AWS_STS_REGIONAL_ENDPOINTS=regional`, and `AWS_REGION`/`AWS_DEFAULT_REGION` when `region` is known.
 */
export function regionEnv(region: string | undefined): Record<string, string>[] {
  return [
    { name: ENV_STS_REGIONAL_ENDPOINTS, value: 'regional' },
    ...(region === undefined ? [] : ENV_REGION_NAMES.map((name) => ({ name, value: region }))),
  ];
}

/** The two variables, in the order they are appended. */
export function credentialEnv(credentialsUri: string): Record<string, unknown>[] {
  return [
    { name: ENV_CREDENTIALS_URI, value: credentialsUri },
    { name: ENV_TOKEN_FILE, value: TOKEN_FILE_PATH },
  ];
}
