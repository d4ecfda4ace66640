import type { KeySource } from './key-source.js';

/** The URLs the agent will call, each with the flag or variable that set it. */
export interface CalledUrls {
  /** `--endpoint` or the `AWS_ENDPOINT_URL*` variable that set it. */
  readonly endpoint: readonly [source: string, url: URL] | undefined;
  /** `--sts-endpoint` or the `AWS_ENDPOINT_URL*` variable that set it. */
  readonly stsEndpoint: readonly [source: string, url: URL] | undefined;
  readonly keySource: KeySource;
}

/**
 * The flags or variables that name a plain-http URL the agent will call: the EKS Auth and STS
 * endpoints (the pods' tokens and their credentials cross them), `--jwks-uri` and a discovery
 * `--issuer` (the keys every token is checked against). Fine for a stand-in on loopback, a hole
 * anywhere else: refused unless `--allow-plain-http`, and then a warning at start-up. A variable
 * that sets both endpoints is named once.
 */
export function plainHttpSources(urls: CalledUrls): string[] {
  const sources = new Set<string>();
  for (const called of [urls.endpoint, urls.stsEndpoint])
    if (called?.[1].protocol === 'http:') sources.add(called[0]);
  const { keySource } = urls;
  if (keySource.kind === 'uri' && keySource.uri.protocol === 'http:') sources.add('--jwks-uri');
  if (keySource.kind === 'discovery' && keySource.issuer.protocol === 'http:') sources.add('--issuer');
  return [...sources];
}

/** One start-up problem per plain-http source, when `--allow-plain-http` is not given. */
export function plainHttpProblems(sources: readonly string[], allowed: boolean): string[] {
  if (allowed) return [];
  return sources.map(
    (source) =>
      `${source} is a plain-http URL: use https, or pass --allow-plain-http (POD_IDENTITY_AGENT_ALLOW_PLAIN_HTTP=true) for a local stand-in`,
  );
}
