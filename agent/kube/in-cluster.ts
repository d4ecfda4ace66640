/** Where a pod's service-account credentials (token, CA bundle) are mounted. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The API server URL from `KUBERNETES_SERVICE_HOST`/`_PORT` (IPv6 hosts get brackets). */
export function kubernetesBaseUrl(host: string, port = '443'): URL {
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return new URL(`https://${hostPart}:${port}`);
}
