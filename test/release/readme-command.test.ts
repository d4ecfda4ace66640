/**
 * The README's "try it on one machine" commands, run as written (only the ports are swapped for
 * free ones): `npm run stand-ins`, then the agent command and the pod's curl.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../test-support/loopback.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
const STAND_INS = 'node dist/scripts/stand-ins.js';

describe('the README commands', () => {
  let standIns: ChildProcess | undefined;
  const cwd = mkdtempSync(join(tmpdir(), 'readme-'));
  symlinkSync(join(ROOT, 'dist'), join(cwd, 'dist'));
  afterAll(() => {
    standIns?.kill('SIGKILL');
    rmSync(cwd, { recursive: true, force: true });
  });

  it('start the stand-ins with npm run stand-ins', () => {
    expect(blocks).toContain('npm run stand-ins\n');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['stand-ins']).toBe(STAND_INS);
  });

  it('run the agent against them and give a pod credentials, and Ctrl-C removes what they wrote', async () => {
    const [eksAuth, port, probe, metrics] = (await freePorts(4)) as [number, number, number, number];
    standIns = spawn(process.execPath, ['dist/scripts/stand-ins.js', '--port', String(eksAuth)], {
      cwd,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      standIns?.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('stand-ins ready')) resolve();
      });
      standIns?.once('exit', (code) => reject(new Error(`stand-ins exited ${code}: ${out}`)));
    });
    const command = blocks.find((b) => b.includes('node dist/agent/main.js server'));
    expect(command).toBeDefined();
    const script = (command as string)
      .replaceAll('9000', String(eksAuth))
      .replaceAll('8080', String(port))
      .replaceAll('8081', String(probe))
      .replaceAll('8082', String(metrics));
    // `kill %1`, as the README says, stops the agent the command left in the background.
    const run = spawnSync('bash', ['-c', `${script}\nkill %1\nwait`], {
      cwd,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const body = JSON.parse(run.stdout) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual([
      'AccessKeyId',
      'AccountId',
      'Expiration',
      'SecretAccessKey',
      'Token',
    ]);
    expect(existsSync(join(cwd, '.stand-ins', 'keys.json'))).toBe(true);
    const exited = new Promise((resolve) => standIns?.once('exit', resolve));
    standIns.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(join(cwd, '.stand-ins'))).toBe(false);
  });
});
