import { describe, expect, it } from 'vitest';
import { parseConfig, type ServerConfig } from '../../agent/config/parse-config.js';
import { ConfigError } from '../../agent/errors.js';

const BASE = [
  'server',
  '--cluster-name',
  'demo',
  '--region',
  'us-east-1',
  '--issuer',
  'https://issuer.example',
  '--jwks-file',
  'k.json',
];

function server(args: readonly string[] = [], env: Record<string, string> = {}): ServerConfig {
  const config = parseConfig([...BASE, ...args], env);
  if (config.command !== 'server') throw new Error('not a server config');
  return config;
}

function problemsOf(argv: readonly string[], env: Record<string, string> = {}): readonly string[] {
  try {
    parseConfig(argv, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('applies the contract defaults', () => {
    const config = server();
    expect(config).toMatchObject({
      bindHosts: ['169.254.170.23', 'fd00:ec2::23'],
      port: 80,
      probeAddress: '127.0.0.1',
      probePort: 2703,
      metricsAddress: '127.0.0.1',
      metricsPort: 2705,
      exchange: 'eks-auth',
      audience: 'pods.eks.amazonaws.com',
      minRemainingMs: 15 * 60_000,
      rateLimit: 50,
      podCheck: 'off',
      issuer: 'https://issuer.example',
      keySource: { kind: 'file', path: 'k.json' },
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('parses the acceptance-test command line of docs/configuration.md', () => {
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
        '8081',
        '--metrics-address',
        '127.0.0.1',
        '--metrics-port',
        '8082',
        '--exchange',
        'eks-auth',
        '--cluster-name',
        'demo',
        '--region',
        'us-east-1',
        '--endpoint',
        'http://127.0.0.1:9000',
        '--allow-plain-http',
        '--issuer',
        'https://issuer.example',
        '--audience',
        'pods.eks.amazonaws.com',
        '--jwks-file',
        'keys.json',
      ],
      {},
    ) as ServerConfig;
    expect(config.endpoint?.href).toBe('http://127.0.0.1:9000/');
    expect(config.port).toBe(8080);
  });

  it('reads environment variables, and flags win over them', () => {
    expect(server([], { POD_IDENTITY_AGENT_PORT: '8443' }).port).toBe(8443);
    expect(server(['--port=9000'], { POD_IDENTITY_AGENT_PORT: '8443' }).port).toBe(9000);
    expect(server(['--min-remaining', '20m']).minRemainingMs).toBe(1_200_000);
  });

  it('falls back to AWS_REGION', () => {
    const config = parseConfig(
      ['server', '--cluster-name', 'c', '--issuer', 'https://i', '--jwks-file', 'k'],
      { AWS_REGION: 'eu-west-1' },
    );
    expect((config as ServerConfig).region).toBe('eu-west-1');
  });

  it('accepts bracketed and bare IPv6 bind hosts', () => {
    expect(server(['--bind-hosts', '[::1],127.0.0.1,fd00:ec2::23']).bindHosts).toEqual([
      '::1',
      '127.0.0.1',
      'fd00:ec2::23',
    ]);
  });

  it.each<[string, readonly string[], RegExp]>([
    ['an unknown flag', [...BASE, '--nope', 'x'], /unknown flag --nope/],
    ['a bad port', [...BASE, '--port', '70000'], /--port .* port number/],
    ['a bad duration', [...BASE, '--min-remaining', '15'], /--min-remaining .* duration/],
    ['a bad exchange', [...BASE, '--exchange', 'magic'], /--exchange .* one of/],
    ['a host name in bind hosts', [...BASE, '--bind-hosts', 'localhost'], /--bind-hosts/],
    [
      'a missing cluster name',
      ['server', '--region', 'r', '--issuer', 'https://i', '--jwks-file', 'k'],
      /--cluster-name \(POD_IDENTITY_AGENT_CLUSTER_NAME\) is required/,
    ],
    ['jwks file and uri together', [...BASE, '--jwks-uri', 'https://x/jwks'], /cannot be used together/],
    [
      'a jwks file without issuer',
      ['server', '--cluster-name', 'c', '--region', 'r', '--jwks-file', 'k'],
      /need --issuer/,
    ],
    ['STS without associations', [...BASE, '--exchange', 'sts-assume-role'], /needs --associations/],
    [
      'associations with eks-auth',
      [...BASE, '--associations', 'a.yaml'],
      /apply only to the sts-\* exchanges/,
    ],
    [
      'annotations with assume-role and no opt-in',
      [...BASE, '--exchange', 'sts-assume-role', '--role-source', 'annotation'],
      /--allow-annotation-roles/,
    ],
    ['the informer without a node name', [...BASE, '--pod-check', 'informer'], /needs --node-name/],
    ['a flag given twice', [...BASE, '--port', '1', '--port', '2'], /more than once/],
    ['a flag without value', [...BASE, '--port'], /needs a value/],
    ['an unknown command', ['serve'], /unknown command/],
  ])('rejects %s', (_name, argv, pattern) => {
    expect(problemsOf(argv).join('\n')).toMatch(pattern);
  });

  it('collects every problem at once', () => {
    expect(problemsOf(['server', '--port', 'x', '--min-remaining', 'y'], {}).length).toBeGreaterThanOrEqual(
      4,
    );
  });

  it('recognises help and version', () => {
    expect(parseConfig([], {})).toEqual({ command: 'help', topic: undefined });
    expect(parseConfig(['server', '--help'], {})).toEqual({ command: 'help', topic: 'server' });
    expect(parseConfig(['version'], {})).toEqual({ command: 'version' });
  });

  it('defaults the pod check to the informer only in a cluster with a node name', () => {
    expect(server(['--node-name', 'n1'], { KUBERNETES_SERVICE_HOST: '10.0.0.1' }).podCheck).toBe('informer');
    expect(server(['--node-name', 'n1']).podCheck).toBe('off');
  });
});
