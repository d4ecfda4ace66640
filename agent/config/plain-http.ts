import type { ServerConfig } from './parse-config.js';

/**
 * The flags of `config` that name a plain-http URL the agent will call: `--endpoint` and
 * `--sts-endpoint` (the pods' tokens and their credentials cross them), `--jwks-uri` and a
 * discovery `--issuer` (the keys every token is checked against). Each is a warning at start-up:
 * fine for a stand-in on loopback, a hole anywhere else.
 */
export function plainHttpFlags(
  config: Pick<ServerConfig, 'endpoint' | 'stsEndpoint' | 'keySource'>,
): string[] {
  const flags: string[] = [];
  if (config.endpoint?.protocol === 'http:') flags.push('--endpoint');
  if (config.stsEndpoint?.protocol === 'http:') flags.push('--sts-endpoint');
  if (config.keySource.kind === 'uri' && config.keySource.uri.protocol === 'http:') flags.push('--jwks-uri');
  if (config.keySource.kind === 'discovery' && config.keySource.issuer.protocol === 'http:')
    flags.push('--issuer');
  return flags;
}
