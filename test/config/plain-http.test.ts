import { describe, expect, it } from 'vitest';
import { parseConfig, type ServerConfig } from '../../agent/config/parse-config.js';
import { ConfigError } from '../../agent/errors.js';

const BASE = ['server', '--cluster-name', 'demo', '--region', 'us-east-1'];
const OPT_IN = '--allow-plain-http';
const problem = (source: string) =>
  `${source} is a plain-http URL: use https, or pass --allow-plain-http (POD_IDENTITY_AGENT_ALLOW_PLAIN_HTTP=true) for a local stand-in`;

const server = (flags: readonly string[], env: Record<string, string> = {}) =>
  parseConfig([...BASE, ...flags], env) as ServerConfig;

function problemsOf(flags: readonly string[], env: Record<string, string> = {}): readonly string[] {
  try {
    parseConfig([...BASE, ...flags], env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const CASES: ReadonlyArray<readonly [source: string, flags: readonly string[], env: Record<string, string>]> =
  [
    ['--endpoint', ['--endpoint', 'http://127.0.0.1:1'], {}],
    ['--sts-endpoint', ['--sts-endpoint', 'http://127.0.0.1:2'], {}],
    ['--jwks-uri', ['--issuer', 'https://issuer.example', '--jwks-uri', 'http://issuer.example/keys'], {}],
    ['--issuer', ['--issuer', 'http://issuer.example'], {}],
    ['AWS_ENDPOINT_URL_EKS_AUTH', [], { AWS_ENDPOINT_URL_EKS_AUTH: 'http://127.0.0.1:3' }],
    ['AWS_ENDPOINT_URL_STS', [], { AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:4' }],
    ['AWS_ENDPOINT_URL', [], { AWS_ENDPOINT_URL: 'http://127.0.0.1:5' }],
  ];

describe('plain-http URLs in the server configuration', () => {
  it.each(CASES)('refuses a plain-http %s without --allow-plain-http', (source, flags, env) => {
    expect(problemsOf(flags, env)).toEqual([problem(source)]);
  });

  it.each(CASES)('accepts a plain-http %s with --allow-plain-http and names it', (source, flags, env) => {
    expect(server([...flags, OPT_IN], env).plainHttp).toEqual([source]);
  });

  it('accepts the opt-in from POD_IDENTITY_AGENT_ALLOW_PLAIN_HTTP', () => {
    const env = { POD_IDENTITY_AGENT_ALLOW_PLAIN_HTTP: 'true' };
    expect(server(['--endpoint', 'http://127.0.0.1:1'], env).plainHttp).toEqual(['--endpoint']);
  });

  it('lists one problem per plain-http URL, next to the other problems', () => {
    const problems = problemsOf(
      ['--endpoint', 'http://127.0.0.1:1', '--sts-endpoint', 'http://127.0.0.1:2', '--port', 'x'],
      { AWS_ENDPOINT_URL: 'https://unused.example' },
    );
    expect(problems).toContain(problem('--endpoint'));
    expect(problems).toContain(problem('--sts-endpoint'));
    expect(problems.some((p) => p.startsWith('--port '))).toBe(true);
  });

  it('names the flag, not the variable it wins over', () => {
    const env = { AWS_ENDPOINT_URL_EKS_AUTH: 'https://eks-auth.example' };
    expect(problemsOf(['--endpoint', 'http://127.0.0.1:1'], env)).toEqual([problem('--endpoint')]);
    const http = { AWS_ENDPOINT_URL_EKS_AUTH: 'http://127.0.0.1:5' };
    expect(server(['--endpoint', 'https://eks-auth.example'], http).plainHttp).toEqual([]);
  });

  it('names none for https URLs, or an http issuer whose keys come from a file', () => {
    const config = server([
      ...['--endpoint', 'https://eks-auth.us-east-1.api.aws', '--sts-endpoint', 'https://sts.example'],
      ...['--issuer', 'http://issuer.example', '--jwks-file', 'keys.json'],
    ]);
    expect(config.plainHttp).toEqual([]);
  });
});
