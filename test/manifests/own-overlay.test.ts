/**
 * What an operator renders: the overlay that docs/installation.md's retagging command writes (run
 * as written, with bash, next to a `manifests/` folder), and the opt-in components.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { needs } from '../../test-support/needs.js';
import { type KubeObject, kubectlProblem, one, render } from './render.js';
import { podMonitorProblems } from './validate.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IMAGE = 'registry.example.test/team/pod-identity-agent:9.9.9-test';

/** The fenced `sh` block of `file` that writes my-overlay/kustomization.yaml. */
function retagCommand(file: string): string {
  const blocks = [...readFileSync(join(ROOT, file), 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)].map(
    (m) => m[1] as string,
  );
  const found = blocks.filter((b) => b.includes('cat > my-overlay/kustomization.yaml'));
  if (found.length !== 1) throw new Error(`${file}: expected one retagging command, found ${found.length}`);
  return found[0] as string;
}

function containersOf(objects: readonly KubeObject[]): { name: string; image: string }[] {
  return objects.flatMap((o) => {
    const spec = o.spec?.template?.spec;
    return spec === undefined ? [] : [...(spec.initContainers ?? []), ...spec.containers];
  });
}

describe.skipIf(!needs(kubectlProblem(), 'the manifest tests'))('an operator overlay', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pia-overlay-'));
    symlinkSync(join(ROOT, 'manifests'), join(dir, 'manifests'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Renders a kustomization written in `dir/<name>/` (paths relative to it reach `manifests/`). */
  function renderOwn(name: string, kustomization: string): KubeObject[] {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, 'kustomization.yaml'), kustomization);
    const result = spawnSync('kubectl', ['kustomize', join(dir, name)], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (result.status !== 0) throw new Error(`kubectl kustomize failed: ${result.stderr}`);
    return parseAllDocuments(result.stdout).map((d) => d.toJS() as KubeObject);
  }

  it('is retagged by the same command in docs/installation.md and manifests/README.md', () => {
    expect(retagCommand('manifests/README.md')).toBe(retagCommand('docs/installation.md'));
  });

  it.each(['eks', 'generic', 'webhook'])(
    'the command as documented puts the new image in every container of the %s overlay',
    (overlay) => {
      const script = retagCommand('docs/installation.md')
        .replace(/^REGISTRY=.*$/m, 'REGISTRY=registry.example.test/team')
        .replace(/^TAG=.*$/m, 'TAG=9.9.9-test')
        .replace('../manifests/overlays/eks', `../manifests/overlays/${overlay}`);
      rmSync(join(dir, 'my-overlay'), { recursive: true, force: true });
      const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status, run.stderr).toBe(0);
      const result = spawnSync('kubectl', ['kustomize', join(dir, 'my-overlay')], { encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
      const containers = containersOf(parseAllDocuments(result.stdout).map((d) => d.toJS() as KubeObject));
      expect(containers.length).toBeGreaterThan(0);
      for (const c of containers) expect(`${c.name}: ${c.image}`).toBe(`${c.name}: ${IMAGE}`);
      // The command's own check prints one image line per container, all the new one.
      expect(
        run.stdout
          .trim()
          .split('\n')
          .map((l) => l.trim()),
      ).toEqual(containers.map(() => `image: ${IMAGE}`));
    },
  );

  it('adds a well-formed PodMonitor selecting the agent pods with the pod-monitor component', () => {
    const objects = renderOwn(
      'monitored',
      'resources: [../manifests/overlays/eks]\ncomponents: [../manifests/components/pod-monitor]\n',
    );
    const monitor = one(objects, 'PodMonitor');
    expect(podMonitorProblems(monitor)).toEqual([]);
    const labels = one(objects, 'DaemonSet').spec.template.metadata.labels as Record<string, string>;
    for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels as Record<string, string>))
      expect(labels[key]).toBe(value);
    expect(monitor.spec.podMetricsEndpoints[0].port).toBe('metrics');
    // The same object as manifests/monitoring's (whose node label the alerts and dashboard use), so
    // an operator may apply both.
    const monitoring = one(render('monitoring'), 'PodMonitor', 'pod-identity-agent');
    expect(monitor.spec).toEqual(monitoring.spec);
    expect(monitor.metadata.namespace).toBe(monitoring.metadata.namespace);
    expect(monitor.metadata.labels?.['app.kubernetes.io/name']).toBe('pod-identity-agent');
  });

  it('stops declaring port 80, and only that port, with the no-host-port component', () => {
    const objects = renderOwn(
      'shared-port-80',
      'resources: [../manifests/overlays/eks]\ncomponents: [../manifests/components/no-host-port]\n',
    );
    const agent = one(objects, 'DaemonSet').spec.template.spec.containers[0];
    expect(agent.ports).toEqual([{ name: 'metrics', containerPort: 2705, protocol: 'TCP' }]);
    expect(agent.args).toContain('--port=80');
  });

  it('grants the service-account watch only with the annotation-roles component, with the flags that use it', () => {
    const objects = renderOwn(
      'annotation-roles',
      'resources: [../manifests/overlays/generic]\ncomponents: [../manifests/components/annotation-roles]\n',
    );
    const rules = one(objects, 'ClusterRole').rules as { resources?: string[]; verbs: string[] }[];
    expect(rules.filter((r) => r.resources?.includes('serviceaccounts'))).toEqual([
      { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get', 'list', 'watch'] },
    ]);
    const args = one(objects, 'DaemonSet').spec.template.spec.containers[0].args as string[];
    expect(args).toEqual(expect.arrayContaining(['--role-source=both', '--allow-annotation-roles']));
  });
});
