import { describe, expect, it } from 'vitest';
import { parseConfig, type ServerConfig } from '../../agent/config/parse-config.js';
import { plainHttpFlags } from '../../agent/config/plain-http.js';

const server = (...flags: string[]) =>
  parseConfig(['server', '--cluster-name', 'demo', '--region', 'us-east-1', ...flags], {}) as ServerConfig;

describe('plainHttpFlags', () => {
  it('names every flag whose URL the agent would call over plain http', () => {
    const config = server(
      ...['--endpoint', 'http://127.0.0.1:1', '--sts-endpoint', 'http://127.0.0.1:2'],
      ...['--issuer', 'http://issuer.example', '--jwks-uri', 'http://issuer.example/keys'],
    );
    expect(plainHttpFlags(config)).toEqual(['--endpoint', '--sts-endpoint', '--jwks-uri']);
    expect(plainHttpFlags(server('--issuer', 'http://issuer.example'))).toEqual(['--issuer']);
  });

  it('names none for https URLs, or an http issuer whose keys come from a file', () => {
    const config = server(
      ...['--endpoint', 'https://eks-auth.us-east-1.api.aws', '--issuer', 'http://issuer.example'],
      ...['--jwks-file', 'keys.json'],
    );
    expect(plainHttpFlags(config)).toEqual([]);
  });
});
