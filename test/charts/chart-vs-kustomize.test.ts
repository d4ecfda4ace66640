/**
 * The chart and the kustomize overlays describe one install: with the values that match an
 * overlay, the chart renders the overlay's objects (Helm's own labels and the ConfigMap hash aside).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CHART, helmProblem, helmTemplate } from '../../test-support/helm.js';
import { needs } from '../../test-support/needs.js';
import { type KubeObject, kubectlProblem, render } from '../manifests/render.js';
import { byKey } from './compare.js';

const problem = helmProblem() ?? kubectlProblem();
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

  it('renders with the generic values and the webhook the objects of overlays/generic and overlays/webhook', () => {
    const env = clusterEnv('generic');
    const values = {
      exchange: 'sts-assume-role',
      cluster: {
        name: env.POD_IDENTITY_AGENT_CLUSTER_NAME,
        region: env.POD_IDENTITY_AGENT_REGION,
        arn: env.POD_IDENTITY_AGENT_CLUSTER_ARN,
      },
      associations: (parse(read('overlays/generic/associations.yaml')) as { associations: unknown[] })
        .associations,
      webhook: { enabled: true },
    };
    const kustomize = [...render('overlays/generic'), ...render('overlays/webhook')];
    expect(byKey(withParsedAssociations(helmTemplate(values) as KubeObject[]))).toEqual(
      byKey(withParsedAssociations(kustomize)),
    );
  });
});
