import { describe, expect, it } from 'vitest';
import { helmProblem, runHelmTemplate } from '../../test-support/helm.js';
import { needs } from '../../test-support/needs.js';

/** stderr of a `helm template` with `values` that must fail. */
function refusal(values: object): string {
  const run = runHelmTemplate(values);
  expect(run.status, run.stdout).not.toBe(0);
  return run.stderr;
}

describe.skipIf(!needs(helmProblem(), 'the Helm chart schema tests'))(
  'charts/pod-identity-agent values.schema.json',
  () => {
    it.each([
      ['a misspelt top-level key', { tolerration: [] }, 'tolerration'],
      ['a misspelt nested key', { agent: { prot: 8080 } }, 'prot'],
      [
        'an unknown key in a toleration',
        { tolerations: [{ operator: 'Exists', efect: 'NoSchedule' }] },
        'efect',
      ],
      ['a port as a string', { agent: { port: '80' } }, 'port'],
      ['a port out of range', { agent: { metricsPort: 70000 } }, 'metricsPort'],
      ['an unknown exchange', { exchange: 'sts' }, 'exchange'],
      ['a log level the agent does not know', { agent: { logLevel: 'verbose' } }, 'logLevel'],
      ['an extra argument that is not a flag', { agent: { extraArgs: ['max-cache-size=10'] } }, 'extraArgs'],
      ['a duration without a unit', { agent: { shutdownGrace: '20' } }, 'shutdownGrace'],
      ['a boolean as a string', { monitoring: { podMonitor: { enabled: 'true' } } }, 'enabled'],
      ['a digest that is not sha256', { image: { digest: 'latest' } }, 'digest'],
      ['an environment entry without a name', { extraEnv: [{ value: 'x' }] }, 'name'],
      [
        'an association without a role',
        { associations: [{ namespace: 'a', serviceAccount: 'b' }] },
        'roleArn',
      ],
      ['a region that is not one', { cluster: { region: 'Oregon' } }, 'region'],
      ['a pod label value Kubernetes refuses', { podLabels: { team: 'not a label value' } }, 'podLabels'],
      ['a node selector key Kubernetes refuses', { nodeSelector: { 'bad key!': 'x' } }, 'bad key!'],
    ])('rejects %s', (_what, values, field) => {
      const stderr = refusal(values);
      expect(stderr).toContain("values don't meet the specifications of the schema");
      expect(stderr).toContain(field);
    });

    it('refuses the webhook with the EKS exchange, where the control plane injects pods itself', () => {
      expect(refusal({ webhook: { enabled: true } })).toContain('webhook.enabled needs an STS exchange');
    });

    it('accepts the default values unchanged', () => {
      const run = runHelmTemplate({});
      expect(run.status, run.stderr).toBe(0);
    });
  },
);
