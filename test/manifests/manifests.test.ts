import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../agent/config/duration.js';
import { parseConfig } from '../../agent/config/parse-config.js';
import { needs } from '../../test-support/needs.js';
import { containerEnv, expandArgs, type KubeObject, kubectlProblem, one, render } from './render.js';
import { validateObject } from './validate.js';

const problem = kubectlProblem();
needs(problem, 'the manifest tests (kubectl kustomize)');
const OVERLAYS = ['eks', 'generic'] as const;
const rendered = new Map<string, KubeObject[]>(
  problem === undefined ? OVERLAYS.map((o) => [o, render(`overlays/${o}`)]) : [],
);
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
const FIELDS = { 'spec.nodeName': 'ip-10-0-1-23.ec2.internal', 'status.podIP': '10.0.1.23' };
/** What a pod in a cluster always has; it turns the live-pod check on by default. */
const IN_CLUSTER = { KUBERNETES_SERVICE_HOST: '10.96.0.1' };
/** cluster.env as the operator fills it in (the committed file leaves both empty). */
const FILLED = { POD_IDENTITY_AGENT_CLUSTER_NAME: 'my-cluster', POD_IDENTITY_AGENT_REGION: 'us-west-2' };

function objects(overlay: string): KubeObject[] {
  const found = rendered.get(overlay);
  if (found === undefined) throw new Error(`overlay ${overlay} was not rendered`);
  return found;
}
const daemonSet = (overlay: string) => one(objects(overlay), 'DaemonSet', 'pod-identity-agent');
const podSpec = (overlay: string) => daemonSet(overlay).spec.template.spec;
const agent = (overlay: string) => one(podSpec(overlay).containers.map(asObject), 'container');
const init = (overlay: string) => one(podSpec(overlay).initContainers.map(asObject), 'container', 'init');
function asObject(container: Record<string, unknown>): KubeObject {
  return { apiVersion: '', kind: 'container', metadata: { name: String(container.name) }, ...container };
}
function serverConfig(overlay: string, cluster: Record<string, string> = FILLED) {
  const env = { ...containerEnv(agent(overlay), objects(overlay), FIELDS), ...cluster, ...IN_CLUSTER };
  const config = parseConfig(expandArgs(agent(overlay).args, env), env);
  if (config.command !== 'server') throw new Error(`expected server, got ${config.command}`);
  return config;
}

describe.each(OVERLAYS)('manifests/overlays/%s', (overlay) => {
  const skip = (ctx: { skip(note?: string): void }) => {
    if (problem !== undefined) ctx.skip(problem);
  };

  it('renders objects that all pass the Kubernetes schemas, and no PodMonitor unless asked', (ctx) => {
    skip(ctx);
    for (const object of objects(overlay)) validateObject(object);
    const kinds = objects(overlay).map((o) => o.kind);
    for (const kind of ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'DaemonSet', 'Service'])
      expect(kinds).toContain(kind);
    expect(kinds).not.toContain('PodMonitor');
  });

  it('grants key discovery, pod reads and token reviews, bound to the agent, and no service-account reads', (ctx) => {
    skip(ctx);
    const rules = one(objects(overlay), 'ClusterRole').rules as {
      apiGroups?: string[];
      resources?: string[];
      nonResourceURLs?: string[];
      verbs: string[];
    }[];
    const grants = (group: string, resource: string) =>
      rules
        .filter((r) => r.apiGroups?.includes(group) && r.resources?.includes(resource))
        .flatMap((r) => r.verbs);
    expect(rules.find((r) => r.nonResourceURLs !== undefined)).toEqual({
      nonResourceURLs: ['/.well-known/openid-configuration', '/openid/v1/jwks'],
      verbs: ['get'],
    });
    expect(grants('', 'pods').sort()).toEqual(['get', 'list', 'watch']);
    expect(grants('', 'serviceaccounts')).toEqual([]);
    expect(grants('authentication.k8s.io', 'tokenreviews')).toEqual(['create']);
    expect(rules.flatMap((r) => r.verbs)).not.toContain('*');
    const binding = one(objects(overlay), 'ClusterRoleBinding');
    const account = one(objects(overlay), 'ServiceAccount');
    expect(binding.roleRef.name).toBe(one(objects(overlay), 'ClusterRole').metadata.name);
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace },
    ]);
    expect(podSpec(overlay).serviceAccountName).toBe(account.metadata.name);
  });

  it('runs on the host network of every node, as a node-critical pod that tolerates every taint', (ctx) => {
    skip(ctx);
    const spec = podSpec(overlay);
    expect(spec.hostNetwork).toBe(true);
    expect(spec.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(spec.priorityClassName).toBe('system-node-critical');
    expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(daemonSet(overlay).spec.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: '10%' },
    });
  });

  it('names the unresolvable placeholder registry, tagged with the package version, in every container', (ctx) => {
    skip(ctx);
    for (const container of [...podSpec(overlay).containers, ...podSpec(overlay).initContainers]) {
      expect(container.image).toBe(`registry.invalid/pod-identity-agent:${VERSION}`);
    }
  });

  it('runs only on Linux nodes that are not Fargate, hybrid or Auto Mode nodes', (ctx) => {
    skip(ctx);
    expect(podSpec(overlay).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual({
      nodeSelectorTerms: [
        {
          matchExpressions: [
            { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
            {
              key: 'eks.amazonaws.com/compute-type',
              operator: 'NotIn',
              values: ['fargate', 'hybrid', 'auto'],
            },
          ],
        },
      ],
    });
  });

  it('refuses to start with cluster.env as committed, naming both settings to fill in', (ctx) => {
    skip(ctx);
    expect(() => serverConfig(overlay, {})).toThrow(
      expect.objectContaining({
        problems: expect.arrayContaining([
          '--cluster-name (POD_IDENTITY_AGENT_CLUSTER_NAME) must not be empty, got ""',
          '--region (POD_IDENTITY_AGENT_REGION) must not be empty, got ""',
        ]),
      }),
    );
  });

  it('gives the init container NET_ADMIN and nothing else', (ctx) => {
    skip(ctx);
    const c = init(overlay);
    expect(c.args[0]).toBe('init');
    expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['NET_ADMIN'] });
    expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(c.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
  });

  it('hardens the agent container: non-root, read-only, only NET_BIND_SERVICE, RuntimeDefault seccomp', (ctx) => {
    skip(ctx);
    const sc = agent(overlay).securityContext;
    expect(sc.runAsNonRoot).toBe(true);
    expect(sc.runAsUser).toBeGreaterThan(0);
    expect(sc.readOnlyRootFilesystem).toBe(true);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.capabilities).toEqual({ drop: ['ALL'], add: ['NET_BIND_SERVICE'] });
    expect(sc.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(sc.privileged ?? false).toBe(false);
  });

  it('sets requests and limits on every container', (ctx) => {
    skip(ctx);
    for (const container of [...podSpec(overlay).containers, ...podSpec(overlay).initContainers]) {
      expect(Object.keys(container.resources.requests).sort()).toEqual(['cpu', 'memory']);
      expect(Object.keys(container.resources.limits)).toContain('memory');
    }
  });

  it('passes NODE_NAME and POD_IP from the downward API, with the node name as a flag', (ctx) => {
    skip(ctx);
    const env = agent(overlay).env as { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
    expect(env.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('spec.nodeName');
    expect(env.find((e) => e.name === 'POD_IP')?.valueFrom?.fieldRef?.fieldPath).toBe('status.podIP');
    expect(agent(overlay).args).toContain('--node-name=$(NODE_NAME)');
  });

  it('has server flags the agent accepts, with the node name substituted and the live-pod check on', (ctx) => {
    skip(ctx);
    const config = serverConfig(overlay);
    expect(config.nodeName).toBe(FIELDS['spec.nodeName']);
    expect(config.metricsAddress).toBe(FIELDS['status.podIP']);
    expect(config.podCheck).toBe('informer');
    expect(config.bindHosts).toEqual(['169.254.170.23', 'fd00:ec2::23']);
    expect(config.port).toBe(80);
  });

  it('has init flags the agent accepts, for the same addresses as the server', (ctx) => {
    skip(ctx);
    const config = parseConfig(expandArgs(init(overlay).args, {}), {});
    expect(config.command).toBe('init');
    if (config.command !== 'init') return;
    expect(config.bindHosts).toEqual(serverConfig(overlay).bindHosts);
  });

  it('probes /healthz and /readyz on the probe port and declares the ports the agent listens on', (ctx) => {
    skip(ctx);
    const config = serverConfig(overlay);
    const c = agent(overlay);
    expect(c.livenessProbe.httpGet).toEqual({ host: config.probeAddress, path: '/healthz', port: 2703 });
    expect(c.readinessProbe.httpGet).toEqual({ host: config.probeAddress, path: '/readyz', port: 2703 });
    expect(config.probePort).toBe(2703);
    const ports = Object.fromEntries(
      (c.ports as { name: string; containerPort: number }[]).map((p) => [p.name, p.containerPort]),
    );
    expect(ports).toEqual({ credentials: config.port, metrics: config.metricsPort });
  });

  it('gives the pod longer to stop than the agent takes to drain', (ctx) => {
    skip(ctx);
    const grace = daemonSet(overlay).spec.template.spec.terminationGracePeriodSeconds as number;
    expect(grace * 1000).toBeGreaterThan(serverConfig(overlay).shutdownGraceMs);
    expect(serverConfig(overlay).shutdownGraceMs).toBe(parseDuration('20s'));
  });

  it('exposes metrics through a headless Service that selects the agent pods', (ctx) => {
    skip(ctx);
    const labels = daemonSet(overlay).spec.template.metadata.labels as Record<string, string>;
    const service = one(objects(overlay), 'Service');
    for (const [key, value] of Object.entries(service.spec.selector as Record<string, string>))
      expect(labels[key]).toBe(value);
    expect(service.spec.ports[0].targetPort).toBe('metrics');
  });
});

describe('overlay specifics', () => {
  it('uses EKS Auth in the eks overlay, with the cluster name and region from cluster.env', (ctx) => {
    if (problem !== undefined) ctx.skip(problem);
    const config = serverConfig('eks');
    expect(config.exchange).toBe('eks-auth');
    expect(config.clusterName).toBe(FILLED.POD_IDENTITY_AGENT_CLUSTER_NAME);
    expect(config.region).toBe(FILLED.POD_IDENTITY_AGENT_REGION);
  });

  it('uses sts:AssumeRole in the generic overlay, with the associations ConfigMap mounted read-only', (ctx) => {
    if (problem !== undefined) ctx.skip(problem);
    const config = serverConfig('generic');
    expect(config.exchange).toBe('sts-assume-role');
    const file = config.associationsFile ?? '';
    const mount = (
      agent('generic').volumeMounts as { name: string; mountPath: string; readOnly?: boolean }[]
    ).find((m) => file.startsWith(`${m.mountPath}/`));
    expect(mount?.readOnly).toBe(true);
    const volume = (podSpec('generic').volumes as { name: string; configMap?: { name: string } }[]).find(
      (v) => v.name === mount?.name,
    );
    const configMap = one(objects('generic'), 'ConfigMap', volume?.configMap?.name);
    expect(Object.keys(configMap.data)).toContain(file.slice((mount?.mountPath.length ?? 0) + 1));
  });
});
