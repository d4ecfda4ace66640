import { readFile } from 'node:fs/promises';
import type { KeySource } from '../config/key-source.js';
import { type FetchJsonOptions, fetchJson } from './fetch-json.js';
import type { KeyFetcher } from './key-fetcher.js';
import { createKubernetesKeyFetcher, type KubernetesKeyFetcherOptions } from './kubernetes-key-source.js';

/** Options shared by the remote key sources. */
export interface RemoteKeySourceOptions {
  /** Deadline of each request, milliseconds. Default 5000. */
  readonly timeoutMs?: number;
  /** Picks the connection agent per URL (proxies, `NO_PROXY`, CA bundle). Default: direct. */
  readonly agentFor?: FetchJsonOptions['agentFor'];
}

/** Reads a static JWKS JSON file (re-read on every fetch, so a replaced ConfigMap is picked up). */
export function createFileKeyFetcher(path: string): KeyFetcher {
  if (path.length === 0) throw new Error('"path" of the JWKS file must not be empty');
  return async () => {
    const text = await readFile(path, 'utf8');
    try {
      return { document: JSON.parse(text) as unknown };
    } catch (cause) {
      throw new Error(`JWKS file ${path} is not JSON`, { cause });
    }
  };
}

/** GETs a remote JWKS. */
export function createUriKeyFetcher(uri: URL, options: RemoteKeySourceOptions = {}): KeyFetcher {
  return async () => ({ document: await fetchJson(uri, options) });
}

/** Removes one trailing slash, so `https://a/` and `https://a` name the same issuer. */
function trimSlash(text: string): string {
  return text.endsWith('/') ? text.slice(0, -1) : text;
}

/** The OIDC discovery document URL of an issuer (path kept: `<issuer>/.well-known/openid-configuration`). */
export function discoveryUrl(issuer: URL | string): URL {
  return new URL(`${trimSlash(String(issuer))}/.well-known/openid-configuration`);
}

/**
 * Reads `jwks_uri` from a discovery document and checks the document names `expectedIssuer` (OIDC
 * Discovery §4.3), when given. Throws on anything else.
 */
export function readDiscovery(document: unknown, expectedIssuer?: string): { issuer: string; jwksUri: URL } {
  const doc = (typeof document === 'object' && document !== null ? document : {}) as Record<string, unknown>;
  const { issuer, jwks_uri: jwksUri } = doc;
  if (typeof issuer !== 'string' || issuer.length === 0)
    throw new Error('discovery document has no "issuer"');
  if (expectedIssuer !== undefined && trimSlash(issuer) !== trimSlash(expectedIssuer))
    throw new Error('discovery document names another issuer');
  if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri) || !/^https?:$/.test(new URL(jwksUri).protocol))
    throw new Error('discovery document has no http(s) "jwks_uri"');
  return { issuer, jwksUri: new URL(jwksUri) };
}

/** OIDC discovery: GET `<issuer>/.well-known/openid-configuration`, then its `jwks_uri`. */
export function createDiscoveryKeyFetcher(issuer: URL, options: RemoteKeySourceOptions = {}): KeyFetcher {
  return async () => {
    const discovery = readDiscovery(await fetchJson(discoveryUrl(issuer), options), issuer.href);
    return { document: await fetchJson(discovery.jwksUri, options), issuer: discovery.issuer };
  };
}

/** Options of {@link createKeyFetcher}. */
export interface KeyFetcherOptions extends RemoteKeySourceOptions {
  /** For `kind: 'kubernetes'`: where the API server and the service-account credentials are. */
  readonly kubernetes?: KubernetesKeyFetcherOptions;
}

/** Builds the fetcher of a configured {@link KeySource}. */
export function createKeyFetcher(source: KeySource, options: KeyFetcherOptions = {}): KeyFetcher {
  switch (source.kind) {
    case 'file':
      return createFileKeyFetcher(source.path);
    case 'uri':
      return createUriKeyFetcher(source.uri, options);
    case 'discovery':
      return createDiscoveryKeyFetcher(source.issuer, options);
    case 'kubernetes':
      return createKubernetesKeyFetcher({ timeoutMs: options.timeoutMs, ...options.kubernetes });
  }
}
