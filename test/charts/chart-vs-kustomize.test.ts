/**
 * The chart and the kustomize overlays describe one install: with the values that match an
 * overlay, the chart renders the overlay's objects (Helm's own labels and the ConfigMap hash aside).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { CHART, helmProblem, helmTemplate } from '../../test-support/helm.js';
import { needs } from '../../test-support/needs.js';
import { type KubeObject, kubectlProblem, render } from '../manifests/render.js';
import { byKey } from './compare.js';

const problem = helmProblem() ?? kubectlProblem();
const MANIFESTS = fileURLToPath(new URL('../../manifests/', import.meta.url));
const read = (path: string) => readFileSync(new URL(`../../manifests/${path}`, import.meta.url), 'utf8');

/** `KEY=value` lines of an overlay's cluster.env. */
function clusterEnv(overlay: string): Record<string, string> {
  const lines = read(`overlays/${overlay}/cluster.env`)
    .split('\n')
    .filter((l) => l.includes('=') && !l.startsWith('#'));
  return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** Objects with the associations file parsed, so that comments and layout do not count. */
function withParsedAssociations(objects: readonly KubeObject[]): KubeObject[] {
  return objects.map((o) =>
    o.kind === 'ConfigMap' && o.metadata.name === 'pod-identity-agent-associations'
      ? { ...o, data: { 'associations.yaml': parse(o.data['associations.yaml']) } }
      : o,
  );
}

describe.skipIf(!needs(problem, 'the chart-vs-kustomize comparison'))('the chart and the overlays', () => {
  it('renders with its default values the objects of manifests/overlays/eks', () => {
    const env = clusterEnv('eks');
    const defaults = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as {
      cluster: Record<string, string>;
    };
    expect(defaults.cluster.name).toBe(env.POD_IDENTITY_AGENT_CLUSTER_NAME);
    expect(defaults.cluster.region).toBe(env.POD_IDENTITY_AGENT_REGION);
    expect(byKey(helmTemplate())).toEqual(byKey(render('overlays/eks')));
  });

  it('renders with annotation roles the objects of overlays/generic with components/annotation-roles', () => {
    const dir = mkdtempSync(join(tmpdir(), 'annotation-roles-'));
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: [relative(dir, join(MANIFESTS, 'overlays/generic'))],
        components: [relative(dir, join(MANIFESTS, 'components/annotation-roles'))],
      }),
    );
    const kustomize = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
    expect(kustomize.status, kustomize.stderr).toBe(0);
    const values = {
      ...genericValues(),
      agent: { roleSource: 'both', extraArgs: ['--allow-annotation-roles'] },
    };
    expect(byKey(withParsedAssociations(helmTemplate(values) as KubeObject[]))).toEqual(
      byKey(withParsedAssociations(parseAllDocuments(kustomize.stdout).map((d) => d.toJS() as KubeObject))),
    );
  });

  it('renders with the generic values and the webhook the objects of overlays/generic and overlays/webhook', () => {
    const values = { ...genericValues(), webhook: { enabled: true } };
    const kustomize = [...render('overlays/generic'), ...render('overlays/webhook')];
    expect(byKey(withParsedAssociations(helmTemplate(values) as KubeObject[]))).toEqual(
      byKey(withParsedAssociations(kustomize)),
    );
  });
});

/** The chart values of overlays/generic: its cluster.env and associations.yaml. */
function genericValues() {
  const env = clusterEnv('generic');
  return {
    exchange: 'sts-assume-role',
    cluster: {
      name: env.POD_IDENTITY_AGENT_CLUSTER_NAME,
      region: env.POD_IDENTITY_AGENT_REGION,
      arn: env.POD_IDENTITY_AGENT_CLUSTER_ARN,
    },
    associations: (parse(read('overlays/generic/associations.yaml')) as { associations: unknown[] })
      .associations,
  };
}
