import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AGENT_NODE_FLAGS } from '../../bench/agent-launch.js';
import { execForm, instructionsOf, parseDockerfile, type Stage } from './parse-dockerfile.js';

const root = new URL('../../', import.meta.url);
const dockerfile = parseDockerfile(readFileSync(new URL('Dockerfile', root), 'utf8'));
const build = dockerfile.stages[0] as Stage;
const runtime = dockerfile.stages.at(-1) as Stage;
const runs = (stage: Stage) => instructionsOf(stage, 'RUN').map((i) => i.args);
const last = (stage: Stage, keyword: string) => instructionsOf(stage, keyword).at(-1)?.args;

describe('parseDockerfile', () => {
  it('joins continuation lines, skips comments and splits stages at FROM', () => {
    const parsed = parseDockerfile(
      'ARG X=1\nFROM a:1 AS one\n# c\nRUN a \\\n  # inner\n  && b\nFROM --platform=$P b:2\nUSER 1\n',
    );
    expect(parsed.globals.map((i) => i.keyword)).toEqual(['ARG']);
    expect(parsed.stages.map((s) => [s.image, s.name])).toEqual([
      ['a:1', 'one'],
      ['b:2', undefined],
    ]);
    expect(parsed.stages[0]?.instructions).toEqual([{ keyword: 'RUN', args: 'a && b', line: 4 }]);
    expect(parsed.stages[1]?.flags).toEqual(['--platform=$P']);
  });
});

describe('Dockerfile', () => {
  it('builds in a node:22-bookworm-slim stage with npm ci and npm run build', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    expect(build.image).toBe('node:22-bookworm-slim');
    expect(runs(build).some((r) => /^npm ci\b/.test(r))).toBe(true);
    expect(runs(build)).toContain('npm run build');
  });

  it('pins every base image to a version tag on an LTS Node slim image', () => {
    for (const stage of dockerfile.stages) {
      const match = /^node:(\d+)(?:\.\d+)*-[a-z]+-slim$/.exec(stage.image);
      expect(match, stage.image).not.toBeNull();
      const major = Number(match?.[1]);
      expect(major % 2, 'even Node majors are the LTS lines').toBe(0);
      expect(major).toBeGreaterThanOrEqual(22);
    }
  });

  it('installs only production dependencies in the runtime stage', () => {
    expect(runs(runtime).some((r) => /\bnpm ci --omit=dev\b/.test(r))).toBe(true);
    expect(runs(runtime).join(' ')).not.toMatch(/npm (install|i) /);
  });

  it('copies only dist/agent from the build stage into the runtime stage', () => {
    const fromBuild = instructionsOf(runtime, 'COPY').filter((c) => c.args.startsWith('--from='));
    expect(fromBuild.map((c) => c.args)).toEqual([`--from=${build.name} /src/dist/agent ./dist/agent`]);
    const local = instructionsOf(runtime, 'COPY').filter((c) => !c.args.startsWith('--from='));
    expect(local.map((c) => c.args)).toEqual(['package.json package-lock.json ./']);
  });

  it('installs iproute2 for init and grants the node binary CAP_NET_BIND_SERVICE with setcap', () => {
    const all = runs(runtime).join(' ');
    expect(all).toMatch(/apt-get install -y --no-install-recommends [^&]*\biproute2\b/);
    expect(all).toMatch(/apt-get install [^&]*\blibcap2-bin\b/);
    expect(all).toMatch(/setcap cap_net_bind_service=\+ep "\$\(readlink -f \/usr\/local\/bin\/node\)"/);
  });

  it('runs as a numeric non-root user and group', () => {
    const user = last(runtime, 'USER');
    expect(user).toMatch(/^\d+:\d+$/);
    expect(Number(user?.split(':')[0])).toBeGreaterThan(0);
    expect(Number(user?.split(':')[1])).toBeGreaterThan(0);
  });

  it('needs no writable root filesystem: no VOLUME, and HOME outside the image layers', () => {
    expect(instructionsOf(runtime, 'VOLUME')).toEqual([]);
    expect(instructionsOf(runtime, 'ENV').map((e) => e.args)).toContain('HOME=/tmp');
  });

  it('stops with SIGTERM and runs the CLI with server as the default command', () => {
    expect(last(runtime, 'STOPSIGNAL')).toBe('SIGTERM');
    expect(execForm(last(runtime, 'ENTRYPOINT') ?? '')).toEqual([
      '/usr/local/bin/node',
      ...AGENT_NODE_FLAGS,
      '/app/dist/agent/main.js',
    ]);
    expect(execForm(last(runtime, 'CMD') ?? '')).toEqual(['server']);
  });

  it('starts node with a small fixed young generation, a tight old one and no memory reducer, the flags the benchmarks start the agent with', () => {
    // V8 would otherwise size the young generation from the memory it sees (16 MiB semi-spaces on a
    // large machine), let a growing old generation reach up to 4 times its live size, and run the
    // memory reducer's collections after 8 s idle, which left later hits dearer.
    expect(AGENT_NODE_FLAGS).toEqual([
      '--max-semi-space-size=1',
      '--heap-growing-percent=20',
      '--no-memory-reducer',
    ]);
  });

  it('keeps the build context to the sources the build copies', () => {
    const ignore = readFileSync(new URL('.dockerignore', root), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignore[0]).toBe('**');
    const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1));
    expect(allowed.sort()).toEqual(
      ['agent/**', 'package-lock.json', 'package.json', 'tsconfig.build.json', 'tsconfig.json'].sort(),
    );
    const copied = instructionsOf(build, 'COPY').flatMap((c) => c.args.split(/\s+/).slice(0, -1));
    for (const source of copied) {
      expect(
        allowed.some((a) => a === source || a === `${source}/**`),
        source,
      ).toBe(true);
    }
  });
});
