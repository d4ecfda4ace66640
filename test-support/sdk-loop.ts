/**
 * A long-running SDK client in a pod: one process of test/clients/ in `loop` mode, keeping its SDK
 * client (and so its credential cache) for the whole run, as an application does. Collects the JSON
 * line each call prints.
 */
import { spawn } from 'node:child_process';
import { type PodEnvironment, PROJECT_ROOT, podEnv } from './pod-clients.js';
import { parseResults, type Sdk, type SdkResult, sdkCommand } from './sdk-clients.js';

/** A running client loop. */
export interface SdkLoop {
  readonly sdk: Sdk;
  /** Every result so far, oldest first, each with the time it arrived (`Date.now()`). */
  readonly results: readonly (SdkResult & { readonly arrivedAt: number })[];
  /** Resolves once `predicate` holds; rejects after `timeoutMs` or when the process ends first. */
  waitFor(predicate: (results: SdkLoop['results']) => boolean, timeoutMs: number): Promise<void>;
  /** Ends the process (SIGKILL); resolves when it has exited. */
  stop(): Promise<void>;
  readonly stderr: () => string;
}

/** Starts `sdk`'s client calling `action` every `seconds`, at most `count` times. */
export async function startSdkLoop(
  sdk: Sdk,
  pod: PodEnvironment,
  seconds: number,
  count: number,
  action: readonly string[],
): Promise<SdkLoop> {
  const [program, ...rest] = [...(pod.prefix ?? []), ...(await sdkCommand(sdk))] as [string, ...string[]];
  const child = spawn(program, [...rest, 'loop', String(seconds), String(count), ...action], {
    env: podEnv(pod),
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const results: (SdkResult & { arrivedAt: number })[] = [];
  let pending = '';
  let stderr = '';
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const result of parseResults(lines.join('\n'))) results.push({ ...result, arrivedAt: Date.now() });
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const summary = () => results.map((r) => (r.ok ? (r.accessKeyId ?? '?').slice(-4) : 'ERR')).join(' ');
  return {
    sdk,
    results,
    stderr: () => stderr,
    async waitFor(predicate, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(results)) {
        if (exited) throw new Error(`the ${sdk} client ended first: ${summary()}\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`the ${sdk} client timed out: ${summary()}\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    async stop() {
      if (!exited) child.kill('SIGKILL');
      await exit;
    },
  };
}
