import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_MAIN } from '../../test-support/agent-process.js';
import { createClusterKeys } from '../../test-support/cluster-keys.js';

/** Runs the built CLI with only PATH in its environment (plus `env`); never waits more than 20 s. */
function cli(args: readonly string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [AGENT_MAIN, ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

let dir: string;
let goodJwks: string;
const files: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pia-startup-'));
  goodJwks = await (await createClusterKeys()).writeJwksFile(dir);
  const write = (name: string, text: string) => {
    files[name] = join(dir, name);
    writeFileSync(files[name], text);
  };
  write('not-json.json', '{"keys": [');
  write('not-a-key-set.json', '{"issuer": "https://issuer.example"}');
  write('no-usable-key.json', JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', alg: 'HS256' }] }));
  // Unreadable even for root, who reads any file whatever its mode: a directory.
  files['unreadable.json'] = join(dir, 'unreadable.json');
  mkdirSync(files['unreadable.json']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A server command line that starts as given, apart from the flags under test. */
const server = (...extra: string[]) => [
  'server',
  '--cluster-name=demo',
  '--region=us-west-2',
  '--issuer=https://issuer.example',
  `--jwks-file=${goodJwks}`,
  '--bind-hosts=127.0.0.1',
  ...extra,
];

function problemLines(stderr: string): string[] {
  return stderr.trimEnd().split('\n');
}

describe('start-up mistakes of the built CLI', () => {
  it('refuses clashing ports with exit 2 and one line per clash, listed together', () => {
    const { code, stdout, stderr } = cli(server('--port=2703', '--probe-port=2703', '--metrics-port=2703'));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = problemLines(stderr);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      'pod-identity-agent: --port and --probe-port are both 2703: each server needs its own port',
    );
    expect(lines[1]).toContain('--port and --metrics-port are both 2703');
    expect(lines[2]).toMatch(
      /^pod-identity-agent: --probe-port and --metrics-port are both 2703.*\(see --help\)$/,
    );
  });

  it('refuses --port 0, since pods call a fixed port', () => {
    const { code, stderr } = cli(server('--port=0', '--probe-port=0', '--metrics-port=0'));
    expect(code).toBe(2);
    expect(problemLines(stderr)).toEqual([
      expect.stringMatching(/^pod-identity-agent: --port must not be 0: pods call .*\(see --help\)$/),
    ]);
  });

  it.each(['0.0.0.0', '::', '[::]'])('refuses the wildcard bind address %s', (wildcard) => {
    const { code, stderr } = cli(server(`--bind-hosts=127.0.0.1,${wildcard}`));
    expect(code).toBe(2);
    expect(stderr).toContain('--bind-hosts must name the addresses pods call');
    expect(stderr).toContain(`not the wildcard ${wildcard.replace(/[[\]]/g, '')}`);
  });

  it.each([
    ['missing', 'missing.json', 'does not exist'],
    ['not JSON', 'not-json.json', 'is not JSON'],
    ['not a key set', 'not-a-key-set.json', 'key set document has no "keys" array'],
    [
      'without a usable key',
      'no-usable-key.json',
      'key set has no usable RS256/ES256/ES384/ES512 public key',
    ],
  ])('refuses a --jwks-file that is %s', (_what, name, why) => {
    const path = files[name] ?? join(dir, name);
    const { code, stderr } = cli(server(`--jwks-file=${path}`));
    expect(code).toBe(2);
    expect(stderr).toContain(`pod-identity-agent: --jwks-file ${path}`);
    expect(stderr).toContain(why);
  });

  it('refuses a --jwks-file that cannot be read, naming the error', () => {
    const { code, stderr } = cli(server(`--jwks-file=${files['unreadable.json']}`));
    expect(code).toBe(2);
    expect(stderr).toContain('cannot be read (EISDIR)');
  });

  it('names the unknown --exchange value once, and no "undefined"', () => {
    const { code, stderr } = cli(server('--exchange=sts'));
    expect(code).toBe(2);
    expect(problemLines(stderr)).toEqual([
      'pod-identity-agent: --exchange (POD_IDENTITY_AGENT_EXCHANGE) must be one of eks-auth, sts-assume-role, sts-web-identity, got "sts" (see --help)',
    ]);
  });

  it('refuses plain-http upstream URLs without --allow-plain-http, one line per flag or variable', () => {
    const { code, stdout, stderr } = cli(server('--endpoint=http://127.0.0.1:9'), {
      AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:10',
    });
    const hint =
      'is a plain-http URL: use https, or pass --allow-plain-http (POD_IDENTITY_AGENT_ALLOW_PLAIN_HTTP=true) for a local stand-in';
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(problemLines(stderr)).toEqual([
      `pod-identity-agent: --endpoint ${hint}`,
      `pod-identity-agent: AWS_ENDPOINT_URL_STS ${hint} (see --help)`,
    ]);
  });

  it('reports a missing region and cluster name together, by flag name', () => {
    const { code, stderr } = cli(['server', '--issuer=https://i.example', `--jwks-file=${goodJwks}`]);
    expect(code).toBe(2);
    expect(problemLines(stderr)).toEqual([
      'pod-identity-agent: --cluster-name (POD_IDENTITY_AGENT_CLUSTER_NAME) is required',
      'pod-identity-agent: --region (POD_IDENTITY_AGENT_REGION) is required (or AWS_REGION) (see --help)',
    ]);
  });

  it('reports an unset (empty) cluster name and a malformed region together, by flag name', () => {
    const { code, stderr } = cli(['server', '--issuer=https://i.example', `--jwks-file=${goodJwks}`], {
      POD_IDENTITY_AGENT_CLUSTER_NAME: '',
      POD_IDENTITY_AGENT_REGION: 'Oregon',
    });
    expect(code).toBe(2);
    const lines = problemLines(stderr);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      'pod-identity-agent: --cluster-name (POD_IDENTITY_AGENT_CLUSTER_NAME) must not be empty, got ""',
    );
    expect(lines[1]).toContain('--region (POD_IDENTITY_AGENT_REGION, AWS_REGION) must be an AWS region name');
  });

  it('refuses a webhook whose admission, probe and metrics ports clash, naming each pair', () => {
    const { code, stderr } = cli([
      'webhook',
      '--tls-cert-file=/x.crt',
      '--tls-key-file=/x.key',
      '--role-source=annotation',
      '--port=8443',
      '--probe-port=8443',
      '--metrics-port=2703',
    ]);
    expect(code).toBe(2);
    expect(problemLines(stderr)).toEqual([
      'pod-identity-agent: --port and --probe-port are both 8443: each server needs its own port (see --help)',
    ]);
  });

  it('prints init errors to stderr as plain text, not JSON', () => {
    const { code, stdout, stderr } = cli([
      'init',
      '--interface=this-name-is-too-long',
      '--bind-hosts=0.0.0.0',
    ]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = problemLines(stderr);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.startsWith('pod-identity-agent: --')).toBe(true);
      expect(() => JSON.parse(line)).toThrow();
    }
  });

  it('starts nothing and prints nothing for a correct command line until the servers are up', () => {
    // A sanity check that the fixtures above are refused for their own reason only: the same command
    // line with none of the mistakes passes the parser (`--help` then stops before serving).
    const { code, stdout } = cli([...server(), '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: pod-identity-agent server');
  });
});
