import { KubeConfig } from '@kubernetes/client-node';
import { kubernetesBaseUrl, SERVICE_ACCOUNT_DIR } from './in-cluster.js';

/** Where the API server is: `--kubeconfig`, else the in-cluster service account. */
export interface KubeConfigSource {
  /** `--kubeconfig` path. */
  readonly kubeconfig?: string | undefined;
  /** `KUBERNETES_SERVICE_HOST` and `_PORT` (main reads the environment). */
  readonly serviceHost?: string | undefined;
  readonly servicePort?: string | undefined;
}

/**
 * Loads a client-node `KubeConfig` from `--kubeconfig` or, in a cluster, from the mounted
 * service-account token (re-read as it rotates) and CA. Throws naming the flag when neither is there.
 */
export function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const config = new KubeConfig();
  if (source.kubeconfig !== undefined) {
    config.loadFromFile(source.kubeconfig);
    return config;
  }
  if ((source.serviceHost ?? '') === '')
    throw new Error('not in a cluster (KUBERNETES_SERVICE_HOST is not set): give --kubeconfig');
  const server = kubernetesBaseUrl(source.serviceHost ?? '', source.servicePort || '443').href.replace(
    /\/$/,
    '',
  );
  config.loadFromClusterAndUser(
    { name: 'in-cluster', server, caFile: `${SERVICE_ACCOUNT_DIR}/ca.crt`, skipTLSVerify: false },
    {
      name: 'in-cluster',
      authProvider: { name: 'tokenFile', config: { tokenFile: `${SERVICE_ACCOUNT_DIR}/token` } },
    },
  );
  return config;
}
