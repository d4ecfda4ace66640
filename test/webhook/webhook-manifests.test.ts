import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../agent/config/parse-config.js';
import { needs } from '../../test-support/needs.js';
import { kubectlProblem } from '../manifests/render.js';

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are untyped YAML.
type Obj = any;

const hasKubectl = needs(kubectlProblem(), 'the webhook manifest tests (kubectl kustomize)');

function render(dir: string): Obj[] {
  const text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  return parseAllDocuments(text).map((d) => d.toJS());
}

const MODELS: Record<string, new (data: Obj) => { validate(): void }> = {
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': MutatingWebhookConfiguration,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
};

/** cert-manager kinds: no schema in kubernetes-models, so check the shape the webhook relies on. */
function checkCertManager(o: Obj): void {
  expect(o.apiVersion).toBe('cert-manager.io/v1');
  expect(o.metadata?.name).toEqual(expect.any(String));
  expect(o.metadata?.namespace).toEqual(expect.any(String));
  if (o.kind === 'Certificate') {
    expect(o.spec.secretName).toEqual(expect.any(String));
    expect(o.spec.issuerRef).toMatchObject({ name: expect.any(String), kind: 'Issuer' });
  } else {
    expect(o.kind).toBe('Issuer');
    expect(Object.keys(o.spec).some((k) => k === 'selfSigned' || k === 'ca')).toBe(true);
  }
}

/** Does a label selector with `matchExpressions` (In/NotIn/Exists/DoesNotExist) select `labels`? */
function selects(selector: Obj, labels: Record<string, string>): boolean {
  const exprs: Obj[] = selector?.matchExpressions ?? [];
  const matchLabels = Object.entries(selector?.matchLabels ?? {});
  return (
    matchLabels.every(([k, v]) => labels[k] === v) &&
    exprs.every((e) => {
      const has = Object.hasOwn(labels, e.key);
      if (e.operator === 'In') return has && e.values.includes(labels[e.key]);
      if (e.operator === 'NotIn') return !has || !e.values.includes(labels[e.key]);
      if (e.operator === 'Exists') return has;
      return !has;
    })
  );
}

describe.skipIf(!hasKubectl)('manifests/overlays/webhook', () => {
  const objects = hasKubectl ? render('manifests/overlays/webhook') : [];
  const find = (kind: string, name?: string) =>
    objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  const deployment = find('Deployment');
  const namespace = deployment?.metadata.namespace as string;
  const podLabels = deployment?.spec.template.metadata.labels as Record<string, string>;
  const webhook = find('MutatingWebhookConfiguration')?.webhooks[0];

  it('renders, and every object validates (cert-manager kinds by shape)', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'Certificate',
      'Certificate',
      'Deployment',
      'Issuer',
      'Issuer',
      'MutatingWebhookConfiguration',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
    for (const o of objects) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      if (Model === undefined) checkCertManager(o);
      else expect(() => new Model(o).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
    }
  });

  it('runs two hardened replicas with a disruption budget', () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(selects(find('PodDisruptionBudget').spec.selector, podLabels)).toBe(true);
    expect(find('PodDisruptionBudget').spec.minAvailable).toBe(1);
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('starts the webhook with flags the parser accepts', () => {
    const config = parseConfig(deployment.spec.template.spec.containers[0].args, {});
    expect(config).toMatchObject({ command: 'webhook', port: 8443, probePort: 2703 });
  });

  it('routes the Service to the admission port and the configuration to the Service', () => {
    const service = find('Service');
    expect(selects({ matchLabels: service.spec.selector }, podLabels)).toBe(true);
    const ports = deployment.spec.template.spec.containers[0].ports;
    expect(ports.find((p: Obj) => p.name === service.spec.ports[0].targetPort).containerPort).toBe(8443);
    expect(webhook.clientConfig.service).toEqual({
      name: service.metadata.name,
      namespace,
      path: '/mutate',
      port: 443,
    });
  });

  it('fails open, has no side effects, speaks v1, and only sees pod creation', () => {
    expect(webhook).toMatchObject({
      failurePolicy: 'Ignore',
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      timeoutSeconds: expect.any(Number),
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    });
    expect(webhook.timeoutSeconds).toBeLessThanOrEqual(10);
  });

  it.each([
    ['kube-system', false],
    ['team-a', true],
    ['default', true],
  ])('namespace %s selected for injection: %s', (name, selected) => {
    const labels = { 'kubernetes.io/metadata.name': name };
    expect(selects(webhook.namespaceSelector, labels)).toBe(selected);
  });

  it('never sends the webhook or the agent pods to itself', () => {
    expect(selects(webhook.objectSelector, podLabels)).toBe(false);
    expect(selects(webhook.objectSelector, { app: 'my-app' })).toBe(true);
    expect(selects(webhook.namespaceSelector, { 'kubernetes.io/metadata.name': namespace })).toBe(false);
  });

  it('wires the certificate into the mounted Secret and the CA into the configuration', () => {
    const cert = find('Certificate', 'pod-identity-webhook');
    const annotation = find('MutatingWebhookConfiguration').metadata.annotations[
      'cert-manager.io/inject-ca-from'
    ];
    expect(annotation).toBe(`${cert.metadata.namespace}/${cert.metadata.name}`);
    expect(cert.spec.dnsNames).toContain(`pod-identity-webhook.${namespace}.svc`);
    const tls = deployment.spec.template.spec.volumes.find((v: Obj) => v.name === 'tls');
    expect(tls.secret.secretName).toBe(cert.spec.secretName);
  });

  it.skipIf(!existsSync('manifests/overlays/generic'))(
    'reads the associations ConfigMap of the generic overlay, and never sees the agent pods',
    () => {
      const generic = render('manifests/overlays/generic');
      const agent = generic.find((o) => o.kind === 'DaemonSet');
      expect(agent.metadata.namespace).toBe(namespace);
      expect(selects(webhook.objectSelector, agent.spec.template.metadata.labels)).toBe(false);
      const volume = deployment.spec.template.spec.volumes.find((v: Obj) => v.name === 'associations');
      const configMap = generic.find(
        (o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap.name,
      );
      expect(configMap?.metadata.namespace).toBe(namespace);
      const args: string[] = deployment.spec.template.spec.containers[0].args;
      const file = args
        .find((a) => a.startsWith('--associations='))
        ?.split('/')
        .pop() as string;
      expect(Object.keys(configMap.data)).toContain(file);
    },
  );

  it('has an annotation-roles component: ServiceAccount list/watch only, a token, --role-source both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'webhook-kustomize-'));
    try {
      const overlay = relative(dir, resolve('manifests/overlays/webhook'));
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        `resources: [${overlay}]\ncomponents: [${overlay}/annotation-roles]\n`,
      );
      const out = render(dir);
      const role = out.find((o) => o.kind === 'ClusterRole');
      expect(role.rules).toEqual([
        { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['list', 'watch'] },
      ]);
      const binding = out.find((o) => o.kind === 'ClusterRoleBinding');
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'pod-identity-webhook', namespace }]);
      const spec = out.find((o) => o.kind === 'Deployment').spec.template.spec;
      expect(spec.automountServiceAccountToken).toBe(true);
      expect(parseConfig(spec.containers[0].args, {})).toMatchObject({
        command: 'webhook',
        roleSource: 'both',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has a manual-certificate variant without cert-manager objects', () => {
    const manual = render('manifests/overlays/webhook/manual-tls');
    expect(manual.map((o) => o.kind)).not.toContain('Certificate');
    const mwc = manual.find((o) => o.kind === 'MutatingWebhookConfiguration');
    expect(mwc.metadata.annotations?.['cert-manager.io/inject-ca-from']).toBeUndefined();
    expect(() => new MutatingWebhookConfiguration(mwc).validate()).not.toThrow();
  });
});
