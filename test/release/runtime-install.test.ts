import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterKeys } from '../../test-support/cluster-keys.js';
import { freePorts } from '../../test-support/loopback.js';
import { needs } from '../../test-support/needs.js';

/**
 * Reproduces the Dockerfile's two stages without a container engine. Build: only the files
 * .dockerignore lets through, `npm ci` + `npm run build`. Runtime: package.json, the lock file and the
 * built dist/agent in an empty folder, `npm ci --omit=dev`, then the agent started from there as the
 * image's non-root user on a read-only tree. Needs the npm registry (CI has it).
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const ISSUER = 'https://issuer.example';
const USER = '65532';
const canDropRoot =
  process.getuid?.() === 0 && spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;

let context: string;
let app: string;
let child: ReturnType<typeof spawn> | undefined;
const output: string[] = [];
let port = 0;
let probePort = 0;

/** The build context: the `!path` allow-list entries of .dockerignore (which starts with `**`). */
function copyBuildContext(target: string): void {
  const allowed = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('!'))
    .map((line) => line.slice(1).replace(/\/\*\*$/, ''));
  for (const path of allowed) cpSync(join(root, path), join(target, path), { recursive: true });
}

const npm = (cwd: string, args: string[]) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund'], { cwd, stdio: 'pipe', timeout: 300_000 });

beforeAll(async () => {
  context = mkdtempSync(join(tmpdir(), 'build-stage-'));
  copyBuildContext(context);
  // The build stage's `npm ci` installs from the same lock file as the runtime one below; linking the
  // work tree's node_modules instead saves minutes and still proves the context holds every source.
  symlinkSync(join(root, 'node_modules'), join(context, 'node_modules'), 'dir');
  npm(context, ['run', 'build']);
  app = mkdtempSync(join(tmpdir(), 'runtime-stage-'));
  cpSync(join(context, 'package.json'), join(app, 'package.json'));
  cpSync(join(context, 'package-lock.json'), join(app, 'package-lock.json'));
  cpSync(join(context, 'dist/agent'), join(app, 'dist/agent'), { recursive: true });
  npm(app, ['ci', '--omit=dev', '--ignore-scripts']);
  const keys = await createClusterKeys();
  const jwks = await keys.writeJwksFile(join(app, 'keys'));
  // Read-only and owned by root, as in the image: the agent must not need to write anything.
  execFileSync('chmod', ['-R', 'a-w,a+rX', app]);
  chmodSync(app, 0o555);
  const [agentPort, agentProbePort, metricsPort] = (await freePorts(3)) as [number, number, number];
  port = agentPort;
  probePort = agentProbePort;
  const agent = [
    join(app, 'dist/agent/main.js'),
    'server',
    ...['--bind-hosts', '127.0.0.1', '--port', String(port)],
    ...['--probe-address', '127.0.0.1', '--probe-port', String(probePort)],
    ...['--metrics-address', '127.0.0.1', '--metrics-port', String(metricsPort)],
    ...['--exchange', 'eks-auth', '--cluster-name', 'demo', '--region', 'us-east-1'],
    ...['--endpoint', 'http://127.0.0.1:9', '--allow-plain-http'],
    ...['--issuer', ISSUER, '--jwks-file', jwks],
  ];
  const [cmd, args] = canDropRoot
    ? ['setpriv', [`--reuid=${USER}`, `--regid=${USER}`, '--clear-groups', process.execPath, ...agent]]
    : [process.execPath, agent];
  child = spawn(cmd as string, args as string[], {
    cwd: app,
    env: {
      PATH: process.env.PATH,
      HOME: '/nonexistent',
      NODE_ENV: 'production',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const ready = await fetch(`http://127.0.0.1:${probePort}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the agent from the runtime folder did not become ready:\n${output.join('')}`);
}, 600_000);

afterAll(async () => {
  child?.kill('SIGTERM');
  if (context !== undefined) await rm(context, { recursive: true, force: true });
  if (app !== undefined && existsSync(app)) {
    execFileSync('chmod', ['-R', 'u+w', app]);
    await rm(app, { recursive: true, force: true });
  }
}, 180_000);

describe('the image stages, reproduced in folders', () => {
  it('builds from the sources in the .dockerignore context alone', () => {
    expect(existsSync(join(context, 'dist/agent/main.js'))).toBe(true);
    expect(existsSync(join(context, 'test'))).toBe(false);
  });

  it('holds no development dependency', () => {
    expect(existsSync(join(app, 'node_modules/vitest'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/typescript'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/fastify'))).toBe(true);
  });

  it('answers /healthz', async () => {
    const response = await fetch(`http://127.0.0.1:${probePort}/healthz`);
    expect(response.status).toBe(200);
  });

  it('answers a credentials request without a token with the contract JSON error', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/v1/credentials`);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await response.json()) as { code: string }).code).toBe('MissingToken');
  });

  it('refuses a token signed by a key outside the JWKS file', async () => {
    const stranger = await createClusterKeys();
    const token = await stranger.mintToken({
      issuer: ISSUER,
      audience: 'pods.eks.amazonaws.com',
      namespace: 'default',
      serviceAccount: 'app',
      podName: 'app-0',
    });
    const response = await fetch(`http://127.0.0.1:${port}/v1/credentials`, {
      headers: { Authorization: token },
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: string }).code).toBe('InvalidToken');
  });

  it.skipIf(
    !needs(
      canDropRoot ? undefined : 'not root or no setpriv: the agent ran as the current user',
      'the image-user check',
    ),
  )('runs as the image user when the test can drop root', () => {
    const status = execFileSync('ps', ['-o', 'uid=', '-p', String(child?.pid ?? 0)], { encoding: 'utf8' });
    expect(status.trim()).toBe(USER);
  });
});
