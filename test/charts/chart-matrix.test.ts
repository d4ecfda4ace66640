import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAssociations } from '../../agent/associations/parse-associations.js';
import { parseConfig } from '../../agent/config/parse-config.js';
import { CHART, helm, helmProblem, helmTemplate, valuesFile } from '../../test-support/helm.js';
import { needs } from '../../test-support/needs.js';
import { containerEnv, expandArgs, type KubeObject, one } from '../manifests/render.js';
import { podMonitorProblems } from '../manifests/validate.js';
import { DASHBOARD_FILE, ruleGroups } from '../monitoring/monitoring-files.js';
import { MATRIX } from './matrix.js';
import { validateChartObject } from './validate-chart.js';

const FIELDS = { 'spec.nodeName': 'ip-10-0-1-23.ec2.internal', 'status.podIP': '10.0.1.23' };
const IN_CLUSTER = { KUBERNETES_SERVICE_HOST: '10.96.0.1' };
const rendered = new Map<string, KubeObject[]>();

function objects(name: string): KubeObject[] {
  let found = rendered.get(name);
  if (found === undefined) {
    found = helmTemplate(MATRIX[name] ?? {}) as KubeObject[];
    rendered.set(name, found);
  }
  return found;
}
const container = (o: KubeObject, name: string) =>
  one(
    (o.spec.template.spec[name === 'init' ? 'initContainers' : 'containers'] as { name: string }[]).map(
      (c) => ({ apiVersion: '', kind: 'container', metadata: { name: c.name }, ...c }),
    ),
    'container',
    name,
  );
/** The agent's config from a container of the rendering, with the kubelet's `$(VAR)` expansion. */
function configOf(name: string, kind: string, containerName: string) {
  const c = container(one(objects(name), kind), containerName);
  const env: Record<string, string> = { ...containerEnv(c, objects(name), FIELDS), ...IN_CLUSTER };
  return { config: parseConfig(expandArgs(c.args, env), env), env };
}

describe.skipIf(!needs(helmProblem(), 'the Helm chart matrix'))(
  'charts/pod-identity-agent values matrix',
  () => {
    describe.each(Object.keys(MATRIX))('%s', (name) => {
      const values = MATRIX[name] ?? {};

      it('passes helm lint --strict', () => {
        const run = helm(['lint', '--strict', CHART, '-f', valuesFile(values)]);
        expect(run.status, run.stdout + run.stderr).toBe(0);
      });

      it('renders objects that pass the Kubernetes schemas, in the release namespace', () => {
        for (const object of objects(name)) {
          validateChartObject(object);
          if (object.kind === 'PodMonitor') expect(podMonitorProblems(object)).toEqual([]);
          const clusterWide = ['ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration'];
          expect(object.metadata.namespace).toBe(
            clusterWide.includes(object.kind) ? undefined : 'kube-system',
          );
        }
      });

      it("has DaemonSet flags the agent's parser accepts, in the exchange the values ask for", () => {
        const { config, env } = configOf(name, 'DaemonSet', 'pod-identity-agent');
        expect(config.command).toBe('server');
        if (config.command !== 'server') return;
        expect(config.exchange).toBe(values.exchange ?? 'eks-auth');
        expect(config.nodeName).toBe(FIELDS['spec.nodeName']);
        const proxy = values.proxy ?? {};
        expect(env.HTTP_PROXY).toBe(proxy.httpProxy);
        expect(env.HTTPS_PROXY).toBe(proxy.httpsProxy);
        expect(env.NO_PROXY).toBe(proxy.noProxy);
        const init = parseConfig(expandArgs(container(one(objects(name), 'DaemonSet'), 'init').args, {}), {});
        expect(init.command === 'init' && init.bindHosts).toEqual(config.bindHosts);
      });

      it('declares the credentials port unless asked not to, and the metrics port always', () => {
        const { config } = configOf(name, 'DaemonSet', 'pod-identity-agent');
        if (config.command !== 'server') throw new Error('not a server');
        const agent = container(one(objects(name), 'DaemonSet'), 'pod-identity-agent');
        const ports = Object.fromEntries(
          (agent.ports as { name: string; containerPort: number }[]).map((p) => [p.name, p.containerPort]),
        );
        const declared = (values.agent as { declarePort?: boolean } | undefined)?.declarePort ?? true;
        expect(ports).toEqual({
          ...(declared ? { credentials: config.port } : {}),
          metrics: config.metricsPort,
        });
      });

      it('selects its own pods whatever pod labels are added', () => {
        for (const kind of ['DaemonSet', 'Deployment']) {
          for (const workload of objects(name).filter((o) => o.kind === kind)) {
            const labels = workload.spec.template.metadata.labels as Record<string, string>;
            expect(labels).toMatchObject(workload.spec.selector.matchLabels);
          }
        }
      });

      it('grants the agent exactly what its exchange, role source and pod check use', () => {
        const { config } = configOf(name, 'DaemonSet', 'pod-identity-agent');
        if (config.command !== 'server') throw new Error('not a server');
        const rules = one(objects(name), 'ClusterRole', 'pod-identity-agent').rules as {
          resources?: string[];
          nonResourceURLs?: string[];
        }[];
        const granted = rules.flatMap((r) => r.resources ?? r.nonResourceURLs ?? []).sort();
        const needed = ['/.well-known/openid-configuration', '/openid/v1/jwks'];
        if (config.podCheck === 'informer') needed.push('pods');
        // The informer asks TokenReview about pods it has not seen yet.
        if (config.podCheck !== 'off') needed.push('tokenreviews');
        if (config.exchange !== 'eks-auth' && config.roleSource !== 'file') needed.push('serviceaccounts');
        expect(granted).toEqual(needed.sort());
      });

      // Only for the value sets a case applies to: none is skipped, so a skip always means a missing tool.
      if ((values.exchange ?? 'eks-auth') !== 'eks-auth')
        it('writes associations the agent parses, mounted where its flag points', () => {
          const { config } = configOf(name, 'DaemonSet', 'pod-identity-agent');
          const file = config.command === 'server' ? config.associationsFile : undefined;
          expect(file).toBe('/etc/pod-identity-agent/associations.yaml');
          const data = one(objects(name), 'ConfigMap', 'pod-identity-agent-associations').data;
          expect(parseAssociations(data['associations.yaml'])).toEqual(values.associations);
        });

      if (values.webhook?.enabled === true)
        it("has webhook flags the agent's parser accepts", () => {
          const { config } = configOf(name, 'Deployment', 'webhook');
          expect(config.command).toBe('webhook');
          if (config.command !== 'webhook') return;
          expect(config.roleSource).toBe(values.webhook?.roleSource ?? 'file');
          const token = one(objects(name), 'Deployment').spec.template.spec.automountServiceAccountToken;
          expect(token).toBe(config.roleSource !== 'file');
          expect(
            objects(name).some((o) => o.kind === 'ClusterRole' && o.metadata.name === 'pod-identity-webhook'),
          ).toBe(config.roleSource !== 'file');
        });

      if (values.monitoring?.prometheusRule?.enabled === true)
        it('ships the tested rules and dashboard, the dashboard labelled for the sidecar', () => {
          expect(one(objects(name), 'PrometheusRule').spec.groups).toEqual(ruleGroups());
          const dashboard = one(objects(name), 'ConfigMap', 'pod-identity-agent-dashboard');
          expect(dashboard.metadata.labels?.grafana_dashboard).toBe('1');
          expect(JSON.parse(dashboard.data['pod-identity-agent.json'])).toEqual(
            JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')),
          );
          const monitors = objects(name).filter((o) => o.kind === 'PodMonitor');
          expect(monitors.map((m) => m.metadata.name).sort()).toEqual([
            'pod-identity-agent',
            'pod-identity-webhook',
          ]);
          for (const m of monitors)
            expect(m.spec.podMetricsEndpoints[0].relabelings).toContainEqual({
              sourceLabels: ['__meta_kubernetes_pod_node_name'],
              targetLabel: 'node',
            });
        });
    });
  },
);
