import { parseConfig, type ServerConfig } from '../../agent/config/parse-config.js';

/** The flags the acceptance tests start the agent with (docs/configuration.md), on loopback. */
const BASE_FLAGS: Readonly<Record<string, string>> = {
  'bind-hosts': '127.0.0.1',
  port: '8080',
  'probe-address': '127.0.0.1',
  'probe-port': '0',
  'metrics-address': '127.0.0.1',
  'metrics-port': '0',
  'cluster-name': 'demo',
  region: 'us-east-1',
  issuer: 'https://issuer.example',
  'jwks-file': 'keys.json',
};

/** A server config as the acceptance tests start the agent, with `extra` flags added or replacing those. */
export function serverConfig(extra: readonly string[] = [], env: Record<string, string> = {}): ServerConfig {
  const given = new Set(extra.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]));
  const base = Object.entries(BASE_FLAGS).flatMap(([name, value]) =>
    given.has(name) ? [] : [`--${name}`, value],
  );
  const config = parseConfig(['server', ...base, ...extra], env);
  if (config.command !== 'server') throw new Error('expected a server config');
  return config;
}
