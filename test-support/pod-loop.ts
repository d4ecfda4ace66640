/**
 * A long-running boto3 client in a pod: one Python process that, every `intervalMs`, resolves
 * credentials through a fresh botocore session (so every round is a real fetch from the agent, which
 * reads the token file anew) and puts an object. For the rotation and restart behaviours.
 */
import { spawn } from 'node:child_process';
import { type PodEnvironment, PROJECT_ROOT, podEnv } from './pod-clients.js';

/** One round of the loop. */
export interface LoopRound {
  readonly round: number;
  /** `ok`, or the error's class/code. */
  readonly outcome: string;
  /** Access key id used (ok rounds). */
  readonly accessKeyId: string | undefined;
  /** When the line arrived, `Date.now()`. */
  readonly at: number;
}

/** A running loop. */
export interface PodLoop {
  readonly rounds: readonly LoopRound[];
  /** Resolves once `predicate` holds for the rounds so far; rejects after `timeoutMs` or if the loop dies. */
  waitFor(predicate: (rounds: readonly LoopRound[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Ends the loop; resolves with its exit code. */
  stop(): Promise<number | null>;
  /** True while the Python process runs. */
  readonly running: boolean;
  readonly stderr: () => string;
}

const LOOP = `
import sys, time, boto3
endpoint, bucket, interval = sys.argv[1], sys.argv[2], float(sys.argv[3])
n = 0
while True:
    n += 1
    try:
        session = boto3.session.Session()
        creds = session.get_credentials().get_frozen_credentials()
        session.client("s3", endpoint_url=endpoint).put_object(Bucket=bucket, Key="loop-%d" % n, Body=b"x")
        print("%d ok %s" % (n, creds.access_key), flush=True)
    except Exception as e:
        code = getattr(e, "response", {}).get("Error", {}).get("Code") if hasattr(e, "response") else None
        print("%d %s -" % (n, code or type(e).__name__), flush=True)
    time.sleep(interval)
`;

/** Starts the loop in `pod`'s environment, putting into `bucket` at `endpoint`. */
export function startBoto3Loop(
  pod: PodEnvironment,
  endpoint: string,
  bucket: string,
  intervalMs = 300,
): PodLoop {
  const [program, ...prefix] = [...(pod.prefix ?? []), 'python3'];
  const child = spawn(
    program as string,
    [...prefix, '-c', LOOP, endpoint, bucket, String(intervalMs / 1000)],
    {
      env: podEnv(pod),
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const rounds: LoopRound[] = [];
  let rest = '';
  let stderr = '';
  let exited = false;
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exited = true;
      resolve(code);
    }),
  );
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) {
      const [round, outcome, key] = line.split(' ');
      rounds.push({
        round: Number(round),
        outcome: outcome ?? '',
        accessKeyId: key === '-' ? undefined : key,
        at: Date.now(),
      });
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  return {
    rounds,
    get running() {
      return !exited;
    },
    stderr: () => stderr,
    async waitFor(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(rounds)) {
        if (exited) throw new Error(`the client loop exited: ${stderr}`);
        if (Date.now() > deadline)
          throw new Error(`timed out; rounds: ${rounds.map((r) => `${r.round}:${r.outcome}`).join(' ')}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      if (!exited) child.kill('SIGKILL');
      return exit;
    },
  };
}
