import { describe, expect, it } from 'vitest';
import { helmProblem, helmTemplate } from '../../test-support/helm.js';
import { needs } from '../../test-support/needs.js';
import { byKey } from '../charts/compare.js';
import { type KubeObject, kubectlProblem, render } from '../manifests/render.js';
import { podMonitorProblems } from '../manifests/validate.js';

const MONITORING_KINDS = new Set(['PodMonitor', 'PrometheusRule']);
const monitoringObjects = (objects: readonly KubeObject[]) =>
  objects.filter((o) => MONITORING_KINDS.has(o.kind) || o.metadata.name === 'pod-identity-agent-dashboard');

describe.skipIf(!needs(kubectlProblem(), 'the manifests/monitoring tests'))('manifests/monitoring', () => {
  const objects = () => render('monitoring');

  it('monitors the agent and the webhook, each series labelled with its node', () => {
    const monitors = objects().filter((o) => o.kind === 'PodMonitor');
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual([
      'pod-identity-agent',
      'pod-identity-webhook',
    ]);
    for (const monitor of monitors) {
      expect(podMonitorProblems(monitor)).toEqual([]);
      // The job label the alerts select on: the value of the pods' app.kubernetes.io/name.
      expect(monitor.spec.jobLabel).toBe('app.kubernetes.io/name');
      expect(monitor.spec.selector.matchLabels['app.kubernetes.io/name']).toBe(monitor.metadata.name);
      expect(monitor.spec.podMetricsEndpoints[0].relabelings).toEqual([
        { sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' },
      ]);
    }
  });

  it("ships the dashboard in a ConfigMap labelled for Grafana's sidecar", () => {
    const configMap = objects().find((o) => o.kind === 'ConfigMap');
    expect(configMap?.metadata.labels?.grafana_dashboard).toBe('1');
    expect(Object.keys(configMap?.data ?? {})).toEqual(['pod-identity-agent.json']);
  });

  it.skipIf(!needs(helmProblem(), 'the chart-vs-manifests/monitoring comparison'))(
    "renders the same objects as the chart's monitoring values (Helm labels aside)",
    () => {
      const chart = helmTemplate({
        exchange: 'sts-assume-role',
        webhook: { enabled: true },
        monitoring: {
          podMonitor: { enabled: true },
          prometheusRule: { enabled: true },
          dashboard: { enabled: true },
        },
      }) as KubeObject[];
      expect(byKey(monitoringObjects(chart))).toEqual(byKey(monitoringObjects(objects())));
    },
  );
});
