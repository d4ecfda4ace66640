import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../agent/config/parse-config.js';
import { CHART, helm, helmProblem, helmTemplate } from '../../test-support/helm.js';
import { needs } from '../../test-support/needs.js';
import { containerEnv, expandArgs, type KubeObject, one } from '../manifests/render.js';
import { HELM_ONLY_LABELS } from './compare.js';

const problem = helmProblem();
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

describe.skipIf(!needs(problem, 'the Helm chart tests'))(
  'charts/pod-identity-agent with its defaults',
  () => {
    it('passes helm lint --strict', () => {
      const run = helm(['lint', '--strict', CHART]);
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toContain('0 chart(s) failed');
    });

    it("labels every object with Helm's release labels, which the comparison leaves out", () => {
      for (const object of helmTemplate()) {
        const labels = (object.metadata as { labels?: Record<string, string> }).labels ?? {};
        if (object.kind === 'ConfigMap') continue;
        for (const label of HELM_ONLY_LABELS) expect(labels[label], `${object.kind} ${label}`).toBeDefined();
      }
    });

    it('leaves the cluster name and region empty, which the agent refuses at start, naming both', () => {
      const objects = helmTemplate() as KubeObject[];
      const spec = one(objects, 'DaemonSet').spec.template.spec;
      const agent = { apiVersion: '', kind: 'container', metadata: { name: 'agent' }, ...spec.containers[0] };
      const env = containerEnv(agent, objects, { 'spec.nodeName': 'node-a', 'status.podIP': '10.0.0.1' });
      expect(() => parseConfig(expandArgs(agent.args, env), env)).toThrow(/--cluster-name.*--region/);
    });

    it('is versioned with the agent, whose image tag it defaults to', () => {
      const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as {
        version: string;
        appVersion: string;
      };
      expect(chart.version).toBe(VERSION);
      expect(chart.appVersion).toBe(VERSION);
    });
  },
);
