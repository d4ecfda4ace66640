/**
 * moto's server (AWS STS, IAM and S3 stand-in, `python3 -m moto.server`) for tests and the demo, and
 * its set-up: an admin user, roles allowed on chosen buckets, buckets. With `authActions`, moto
 * accepts that many unauthenticated calls (the set-up) and then enforces SigV4 and IAM policies
 * (docs/compatibility.md).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from './loopback.js';

/** Moved to loopback.ts; re-exported while bench/agent-launch.ts still imports it from here. */
export { freePort };

/** A running moto server. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly port: number;
  /** Kills the server and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startMoto}. */
export interface StartMotoOptions {
  /** Unauthenticated set-up calls moto accepts before enforcing IAM (`INITIAL_NO_AUTH_ACTION_COUNT`). Absent: never enforced. */
  readonly authActions?: number;
  /** Milliseconds to wait for the server to answer. Default 20000. */
  readonly startTimeoutMs?: number;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** True when `python3` can import moto and boto3 (the demo says what to install otherwise). */
export function isMotoAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('python3', ['-c', 'import moto.server, boto3'], { timeout: 20_000 }, (error) => resolve(!error));
  });
}

/** Why moto cannot run here (for `needs()`), or undefined when python3 imports moto and boto3. */
export async function motoProblem(): Promise<string | undefined> {
  return (await isMotoAvailable())
    ? undefined
    : 'python3 with moto and boto3 is missing (pip install moto boto3)';
}

/** Starts moto's server on a free loopback port and resolves once it answers. */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const { authActions } = options;
  if (authActions !== undefined && (!Number.isInteger(authActions) || authActions < 0))
    throw new TypeError('"authActions" must be a non-negative integer');
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1' };
  if (authActions === undefined) delete env.INITIAL_NO_AUTH_ACTION_COUNT;
  else env.INITIAL_NO_AUTH_ACTION_COUNT = String(authActions);
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  installExitHook();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      // moto keeps nothing worth a graceful stop, and SIGTERM takes it seconds.
      child.kill('SIGKILL');
      await exited;
    }
  };
  try {
    await waitUntilReady(endpoint, child, options.startTimeoutMs ?? 20_000);
  } catch (error) {
    await stop();
    throw new Error(`moto did not start on ${endpoint}: ${(error as Error).message}\n${stderr}`);
  }
  return { endpoint, port, stop };
}

/** Polls moto's own API, which does not count as one of the unauthenticated set-up actions. */
async function waitUntilReady(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`python3 exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no answer within ${timeoutMs} ms`);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test run that dies must not leave moto servers behind.
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** What {@link setupMoto} creates. */
export interface MotoSetupSpec {
  /** Name of the admin IAM user whose key is returned. Default `admin`. */
  readonly adminUser?: string;
  /** Roles, each allowed s3:PutObject/GetObject/ListBucket on `buckets` only; trusted by the admin user. */
  readonly roles?: readonly { readonly name: string; readonly buckets: readonly string[] }[];
  readonly buckets?: readonly string[];
  /** Default `us-east-1`. */
  readonly region?: string;
}

/** What {@link setupMoto} made: the admin's key (valid after set-up) and each role's ARN by name. */
export interface MotoSetup {
  readonly adminArn: string;
  readonly accountId: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly roles: Readonly<Record<string, string>>;
}

/** How many unauthenticated moto actions {@link setupMoto} uses for `spec`: pass it as `authActions`. */
export function setupActionCount(spec: MotoSetupSpec): number {
  return 3 + 2 * (spec.roles?.length ?? 0) + (spec.buckets?.length ?? 0);
}

/** Actions used by {@link createS3Role} with its defaults (admin 3, role 2, buckets 2). */
export const S3_ROLE_SETUP_ACTIONS = 7;

/** Runs test-support/moto-setup.py (boto3) against `endpoint`. */
export function setupMoto(endpoint: string, spec: MotoSetupSpec): Promise<MotoSetup> {
  const script = setupScriptPath();
  const input = JSON.stringify({ endpoint, adminUser: 'admin', ...spec });
  return new Promise((resolve, reject) => {
    const child = execFile('python3', [script], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`moto set-up failed: ${stderr.trim().split('\n').pop() ?? error.message}`));
      else resolve(JSON.parse(stdout) as MotoSetup);
    });
    child.stdin?.end(input);
  });
}

/** Options of {@link createS3Role}. */
export interface S3RoleOptions {
  /** Default `S3AccessRole`. */
  readonly roleName?: string;
  /** The one bucket the role may use. Default `my-bucket`. */
  readonly bucket?: string;
  /** A second bucket the role may not use. Default `other-bucket`. */
  readonly otherBucket?: string;
}

/** The story's set-up: role `S3AccessRole` allowed only on `my-bucket`, both buckets, an admin key. */
export async function createS3Role(
  endpoint: string,
  options: S3RoleOptions = {},
): Promise<MotoSetup & { readonly roleArn: string }> {
  const roleName = options.roleName ?? 'S3AccessRole';
  const bucket = options.bucket ?? 'my-bucket';
  const otherBucket = options.otherBucket ?? 'other-bucket';
  const setup = await setupMoto(endpoint, {
    roles: [{ name: roleName, buckets: [bucket] }],
    buckets: [bucket, otherBucket],
  });
  return { ...setup, roleArn: setup.roles[roleName] as string };
}

function setupScriptPath(): string {
  // From test-support/ (vitest) or dist/test-support/ (the built demo): the .py is not compiled.
  const candidates = ['./moto-setup.py', '../../test-support/moto-setup.py'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) throw new Error(`moto-setup.py not found (looked in ${candidates.join(', ')})`);
  return found;
}
