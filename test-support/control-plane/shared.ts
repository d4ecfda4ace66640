/**
 * One control plane per test run, started by the first test that asks for it and shared by every
 * test file after it (starting one costs many CPU-seconds; runs that never ask pay nothing).
 * `global-setup.ts` provides the run's folder and stops the processes when the run ends. Tests that
 * restart the apiserver or rotate its key start their own with `startControlPlane()` instead.
 */
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import {
  attachControlPlane,
  type ControlPlane,
  type ControlPlaneInfo,
  startControlPlane,
} from '../control-plane.js';
import { sharedFiles } from './global-setup.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Folder of this run's shared control plane (see test-support/control-plane/shared.ts). */
    controlPlaneRunDir: string;
  }
}

let mine: Promise<ControlPlane> | undefined;

/** The run's shared control plane; starts it when no test has yet. Use unique names in it. */
export function sharedControlPlane(): Promise<ControlPlane> {
  mine ??= obtain(inject('controlPlaneRunDir'));
  return mine;
}

async function obtain(runDir: string): Promise<ControlPlane> {
  const files = sharedFiles(runDir);
  const lock = await open(files.lock, 'wx').catch(() => undefined);
  if (lock !== undefined) {
    await lock.close();
    try {
      const plane = await startControlPlane({ dir: files.plane });
      // Only the plain fields: the handle's functions stay in this process.
      await writeFile(`${files.info}.tmp`, JSON.stringify(plane, infoKeys));
      await rename(`${files.info}.tmp`, files.info);
      return plane;
    } catch (error) {
      await writeFile(files.error, String(error instanceof Error ? error.message : error));
      throw error;
    }
  }
  // Another test process is starting it: wait for its result.
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const info = await readFile(files.info, 'utf8').catch(() => undefined);
    if (info !== undefined) return attachControlPlane(JSON.parse(info) as ControlPlaneInfo);
    const error = await readFile(files.error, 'utf8').catch(() => undefined);
    if (error !== undefined) throw new Error(`the shared control plane did not start: ${error}`);
    await sleep(200);
  }
  throw new Error(`the shared control plane did not start within 180 s (${runDir})`);
}

const infoKeys: (keyof ControlPlaneInfo)[] = [
  ...([
    'dir',
    'server',
    'issuer',
    'caFile',
    'caKeyFile',
    'adminCertFile',
    'adminKeyFile',
    'kubeconfig',
  ] as const),
  ...(['etcdPid', 'apiserverPid'] as const),
];
