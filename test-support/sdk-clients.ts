/**
 * The six real AWS SDK clients of the suite (boto3, AWS CLI v1, JS v3, Go v2, Java v2, Rust), each a
 * small program in test/clients/ that uses only its SDK's default credential chain and takes the
 * same arguments: `sts`, `put <bucket> <key>`, or `loop <seconds> <count> <action...>`. Each prints
 * one JSON line per call ({@link SdkResult}). The Go, Java and Rust programs are built by
 * test/clients/build.sh into a cache outside the work tree (CI builds them in .ci/setup.d).
 */
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { type ClientRun, type PodEnvironment, PROJECT_ROOT, runInPod } from './pod-clients.js';

/** The SDKs the suite runs. */
export const SDKS = ['boto3', 'cli', 'js', 'go', 'java', 'rust'] as const;
export type Sdk = (typeof SDKS)[number];

/** What each SDK's name is in the docs. */
export const SDK_TITLES: Readonly<Record<Sdk, string>> = {
  boto3: 'boto3 (Python)',
  cli: 'AWS CLI v1',
  js: 'JavaScript SDK v3',
  go: 'Go SDK v2',
  java: 'Java SDK v2',
  rust: 'Rust SDK',
};

/** One line a client printed. */
export interface SdkResult {
  readonly sdk: Sdk;
  readonly action: string;
  readonly ok: boolean;
  /** The access key the request was signed with (ok results). */
  readonly accessKeyId?: string;
  readonly arn?: string;
  /** What the application sees when the call fails. */
  readonly error?: string;
}

const CLIENTS = join(PROJECT_ROOT, 'test', 'clients');
const TOOLCHAIN: Readonly<Record<Sdk, readonly string[]>> = {
  boto3: ['python3', '-c', 'import boto3'],
  cli: ['aws', '--version'],
  js: [process.execPath, '--version'],
  go: ['go', 'version'],
  java: ['mvn', '--version'],
  rust: ['cargo', '--version'],
};

/** Why `sdk`'s client cannot run on this machine, or undefined. */
export function sdkProblem(sdk: Sdk): string | undefined {
  const [program, ...args] = TOOLCHAIN[sdk] as [string, ...string[]];
  try {
    execFileSync(program, args, { stdio: 'ignore', timeout: 30_000 });
    return undefined;
  } catch {
    return `\`${[program, ...args].join(' ')}\` failed: the ${SDK_TITLES[sdk]} client needs it`;
  }
}

const built = new Map<Sdk, Promise<string>>();

/** Builds (or finds in the cache) a compiled client; resolves with its folder. */
function buildClient(sdk: 'go' | 'java' | 'rust'): Promise<string> {
  let dir = built.get(sdk);
  if (dir === undefined) {
    dir = new Promise<string>((resolve, reject) => {
      execFile(
        'bash',
        [join(CLIENTS, 'build.sh'), sdk],
        { timeout: 30 * 60_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`building the ${sdk} client failed: ${stderr.slice(-2000)}`));
          else resolve(stdout.trim().split('\n').pop() as string);
        },
      );
    });
    built.set(sdk, dir);
  }
  return dir;
}

/** The command line that runs `sdk`'s client (building it first when needed). */
export async function sdkCommand(sdk: Sdk): Promise<readonly string[]> {
  switch (sdk) {
    case 'boto3':
      return ['python3', join(CLIENTS, 'python', 'client.py')];
    case 'cli':
      return ['sh', join(CLIENTS, 'cli', 'client.sh')];
    case 'js':
      return [process.execPath, join(CLIENTS, 'js', 'client.mjs')];
    default:
      return [join(await buildClient(sdk), 'client')];
  }
}

/**
 * The environment of a pod running `sdk` against moto at `endpoint`: the pod's credential variables
 * plus the region, moto as every service's endpoint, and checksums only where required (moto does
 * not take the SDKs' default trailing checksums). Java needs `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6`
 * to accept the IPv6 address; `javaIpv6Mode: false` leaves it out.
 */
export function sdkEnv(
  pod: PodEnvironment,
  sdk: Sdk,
  endpoint: string,
  options: { readonly javaIpv6Mode?: boolean } = {},
): PodEnvironment {
  const v6 = pod.credentialsUri.includes('[');
  const mode = sdk === 'java' && v6 && options.javaIpv6Mode !== false;
  return {
    ...pod,
    extra: {
      ...pod.extra,
      AWS_ENDPOINT_URL: endpoint,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
      ...(mode ? { AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' } : {}),
    },
  };
}

/** Parses the JSON lines a client printed; other lines are ignored. */
export function parseResults(stdout: string): SdkResult[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as SdkResult);
}

/** Runs `sdk`'s client once in the pod environment; resolves with its exit and printed results. */
export async function runSdk(
  sdk: Sdk,
  pod: PodEnvironment,
  args: readonly string[],
  timeoutMs = 90_000,
): Promise<ClientRun & { readonly results: SdkResult[] }> {
  const [program, ...rest] = (await sdkCommand(sdk)) as [string, ...string[]];
  const run = await runInPod(program, [...rest, ...args], pod, timeoutMs);
  return { ...run, results: parseResults(run.stdout) };
}
