/**
 * Real AWS SDK clients run the way a pod runs them (docs/compatibility.md):
 * a clean environment holding only the container-credential variables, the region and a moto
 * endpoint, and a token file written without a trailing newline.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where a pod's SDK finds the agent. */
export interface PodEnvironment {
  /** `AWS_CONTAINER_CREDENTIALS_FULL_URI`. */
  readonly credentialsUri: string;
  /** `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`; undefined leaves the variable unset (a pod without a token). */
  readonly tokenFile: string | undefined;
  readonly region?: string;
  /** Extra variables (e.g. for the IPv6 mode of other SDKs). */
  readonly extra?: Readonly<Record<string, string>>;
  /** Command the client runs under, e.g. `['ip', 'netns', 'exec', podNs]` (a simulated pod). Default none. */
  readonly prefix?: readonly string[];
}

/** The outcome of one client run. */
export interface ClientRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Project root, from test-support/ or dist/test-support/. */
export const PROJECT_ROOT = fileURLToPath(
  new URL(import.meta.url.includes('/dist/test-support/') ? '../../' : '../', import.meta.url),
);

/** Writes a token file the way kubelet does: the raw token, no trailing newline. */
export function writeTokenFile(token: string, dir = mkdtempSync(join(tmpdir(), 'pod-token-'))): string {
  const file = join(dir, 'eks-pod-identity-token');
  writeFileSync(file, token, { mode: 0o600 });
  return file;
}

/** The environment a pod's container gets: nothing else, so no other credential source can win. */
export function podEnv(pod: PodEnvironment): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: mkdtempSync(join(tmpdir(), 'pod-home-')),
    AWS_EC2_METADATA_DISABLED: 'true',
    // The JS SDK's Node-version notice: the test or demo process has already printed it once.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_REGION: pod.region ?? 'us-east-1',
    AWS_DEFAULT_REGION: pod.region ?? 'us-east-1',
    AWS_CONTAINER_CREDENTIALS_FULL_URI: pod.credentialsUri,
    ...(pod.tokenFile === undefined ? {} : { AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: pod.tokenFile }),
    ...pod.extra,
  };
}

/** Runs a command in the pod environment (no shell). */
export function runInPod(
  command: string,
  args: readonly string[],
  pod: PodEnvironment,
  timeoutMs = 60_000,
): Promise<ClientRun> {
  const [program, ...prefixArgs] = [...(pod.prefix ?? []), command];
  return new Promise((resolve) => {
    execFile(
      program as string,
      [...prefixArgs, ...args],
      { env: podEnv(pod), cwd: PROJECT_ROOT, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const BOTO3_PUT = `
import sys, boto3, botocore.session
from botocore.exceptions import ClientError
endpoint, bucket, key, body = sys.argv[1:5]
creds = botocore.session.get_session().get_credentials()
print("method=" + (creds.method if creds else "none"))
s3 = boto3.client("s3", endpoint_url=endpoint)
try:
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
    print("put=ok")
except ClientError as e:
    print("put=" + e.response["Error"]["Code"])
`;

/** boto3 `put_object` with the default chain; prints `method=` and `put=ok` or `put=<ErrorCode>`. */
export function boto3Put(
  pod: PodEnvironment,
  endpoint: string,
  bucket: string,
  key: string,
  body: string,
): Promise<ClientRun> {
  return runInPod('python3', ['-c', BOTO3_PUT, endpoint, bucket, key, body], pod);
}

/** botocore's credential resolution alone; prints the method and the access key id. */
export function botocoreCredentials(pod: PodEnvironment): Promise<ClientRun> {
  return runInPod(
    'python3',
    [
      '-c',
      'import botocore.session as s\nc = s.get_session().get_credentials()\nf = c.get_frozen_credentials()\nprint(c.method, f.access_key)',
    ],
    pod,
  );
}

/** AWS CLI v1 `aws s3 cp` of a small file. */
export function awsCliCopy(
  pod: PodEnvironment,
  endpoint: string,
  bucket: string,
  key: string,
  body: string,
): Promise<ClientRun> {
  const dir = mkdtempSync(join(tmpdir(), 'pod-file-'));
  const file = join(dir, 'upload.txt');
  writeFileSync(file, body);
  return runInPod('aws', ['--endpoint-url', endpoint, 's3', 'cp', file, `s3://${bucket}/${key}`], pod);
}

const JS_SCRIPT = `
import { fromHttp, fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
const [mode, endpoint, bucket, key, body] = process.argv.slice(1);
try {
  if (mode === 'fromHttp') {
    const c = await fromHttp({})();
    console.log('fromHttp=' + c.accessKeyId + ' expiration=' + c.expiration?.toISOString());
  } else if (mode === 'chain') {
    const c = await fromNodeProviderChain()();
    console.log('chain=' + c.accessKeyId);
  } else {
    const s3 = new S3Client({ endpoint, forcePathStyle: true });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    console.log('put=ok');
  }
} catch (e) {
  console.log('error=' + (e.Code ?? e.name));
  process.exitCode = 3;
}
`;

/** The JS SDK v3: `fromHttp()()`, `fromNodeProviderChain()()`, or an `S3Client` put with the default chain. */
export function jsClient(
  pod: PodEnvironment,
  mode: 'fromHttp' | 'chain' | 'put',
  endpoint = '',
  bucket = '',
  key = '',
  body = '',
): Promise<ClientRun> {
  return runInPod(
    process.execPath,
    ['--input-type=module', '-e', JS_SCRIPT, mode, endpoint, bucket, key, body],
    pod,
  );
}
