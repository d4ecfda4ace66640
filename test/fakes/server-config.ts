import { parseConfig, type ServerConfig } from '../../agent/config/parse-config.js';

/** A server config as the acceptance tests start the agent (contract §2), plus extra flags. */
export function serverConfig(extra: readonly string[] = [], env: Record<string, string> = {}): ServerConfig {
  const config = parseConfig(
    [
      'server',
      '--bind-hosts',
      '127.0.0.1',
      '--port',
      '8080',
      '--probe-address',
      '127.0.0.1',
      '--probe-port',
      '0',
      '--metrics-address',
      '127.0.0.1',
      '--metrics-port',
      '0',
      '--cluster-name',
      'demo',
      '--region',
      'us-east-1',
      '--issuer',
      'https://issuer.example',
      '--jwks-file',
      'keys.json',
      ...extra,
    ],
    env,
  );
  if (config.command !== 'server') throw new Error('expected a server config');
  return config;
}
