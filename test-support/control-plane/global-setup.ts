/**
 * vitest global set-up: gives the run a folder for its shared control plane (started lazily by the
 * first test that needs it, see `shared.ts`) and, when the run ends, stops it and removes the folder.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { ControlPlaneInfo } from '../control-plane.js';
import { stopProcess } from './processes.js';

/** Files in the run folder: the starter's lock, the running plane's info or the start error, its data. */
export const sharedFiles = (runDir: string) => ({
  lock: join(runDir, 'lock'),
  info: join(runDir, 'info.json'),
  error: join(runDir, 'error.txt'),
  plane: join(runDir, 'plane'),
});

/** Provides `controlPlaneRunDir`; returns the teardown. */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runDir = await mkdtemp(join(tmpdir(), 'control-plane-run-'));
  project.provide('controlPlaneRunDir', runDir);
  return async () => {
    const text = await readFile(sharedFiles(runDir).info, 'utf8').catch(() => undefined);
    if (text !== undefined) {
      const info = JSON.parse(text) as ControlPlaneInfo;
      await stopProcess(info.apiserverPid);
      await stopProcess(info.etcdPid);
    }
    await rm(runDir, { recursive: true, force: true });
  };
}
