import { readFile } from 'node:fs/promises';
import { kubernetesBaseUrl, SERVICE_ACCOUNT_DIR } from '../kube/in-cluster.js';
import { fetchJson } from './fetch-json.js';
import type { KeyFetcher } from './key-fetcher.js';

/** API server path of the cluster's token signing keys. */
export const KUBERNETES_JWKS_PATH = '/openid/v1/jwks';
/** API server path of the discovery document (gives the issuer). */
export const KUBERNETES_DISCOVERY_PATH = '/.well-known/openid-configuration';

/** Options of {@link createKubernetesKeyFetcher}. Defaults are the in-cluster ones. */
export interface KubernetesKeyFetcherOptions {
  /** `KUBERNETES_SERVICE_HOST` (main passes the environment's). Ignored when `baseUrl` is given. */
  readonly serviceHost?: string | undefined;
  /** `KUBERNETES_SERVICE_PORT`. Default 443. */
  readonly servicePort?: string | undefined;
  /** API server URL; overrides host and port (tests use a local server). */
  readonly baseUrl?: URL | undefined;
  /** Bearer token file, re-read on every fetch (bound tokens rotate). Default `<SERVICE_ACCOUNT_DIR>/token`. */
  readonly tokenPath?: string | undefined;
  /** CA bundle for https. Default `<SERVICE_ACCOUNT_DIR>/ca.crt`. */
  readonly caPath?: string | undefined;
  /** Also read the discovery document to learn the issuer (when `--issuer` is not given). Default true. */
  readonly discoverIssuer?: boolean | undefined;
  /** Deadline of each request, milliseconds. Default 5000. */
  readonly timeoutMs?: number | undefined;
}

/**
 * Reads the token signing keys from the cluster's API server (`/openid/v1/jwks`, readable by every
 * service account through `system:service-account-issuer-discovery`), authenticated with the
 * agent's own service-account token and trusting the cluster CA.
 */
export function createKubernetesKeyFetcher(options: KubernetesKeyFetcherOptions = {}): KeyFetcher {
  if (options.baseUrl === undefined && (options.serviceHost ?? '') === '')
    throw new Error(
      '"serviceHost" (KUBERNETES_SERVICE_HOST) is not set: not in a cluster; give --jwks-file, --jwks-uri or --issuer',
    );
  const base = options.baseUrl ?? kubernetesBaseUrl(options.serviceHost ?? '', options.servicePort || '443');
  const tokenPath = options.tokenPath ?? `${SERVICE_ACCOUNT_DIR}/token`;
  const caPath = options.caPath ?? `${SERVICE_ACCOUNT_DIR}/ca.crt`;
  const discoverIssuer = options.discoverIssuer ?? true;

  return async () => {
    const token = (await readFile(tokenPath, 'utf8')).trim();
    const ca = base.protocol === 'https:' ? await readFile(caPath) : undefined;
    const request = {
      timeoutMs: options.timeoutMs,
      headers: { authorization: `Bearer ${token}` },
      ...(ca === undefined ? {} : { ca }),
    };
    const document = await fetchJson(new URL(KUBERNETES_JWKS_PATH, base), request);
    if (!discoverIssuer) return { document };
    const discovery = await fetchJson(new URL(KUBERNETES_DISCOVERY_PATH, base), request);
    const issuer = (discovery as { issuer?: unknown } | null)?.issuer;
    if (typeof issuer !== 'string' || issuer.length === 0)
      throw new Error('API server discovery document has no "issuer"');
    return { document, issuer };
  };
}
