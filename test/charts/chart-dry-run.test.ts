/**
 * Every rendering of the chart's values matrix is accepted by a real kube-apiserver
 * (`kubectl apply --dry-run=server`: schemas, unknown fields, defaulting, admission).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { controlPlaneProblem } from '../../test-support/control-plane/binaries.js';
import { sharedControlPlane } from '../../test-support/control-plane/shared.js';
import type { ControlPlane } from '../../test-support/control-plane.js';
import { helmProblem, helmTemplate } from '../../test-support/helm.js';
import { needs } from '../../test-support/needs.js';
import { dryRun, expectAccepted } from '../manifests/dry-run.js';
import { kubectlProblem } from '../manifests/render.js';
import { MATRIX } from './matrix.js';

const enabled = needs(
  helmProblem() ?? kubectlProblem() ?? controlPlaneProblem(),
  'the server-side dry run of the chart',
);
/** Custom resources of operators this control plane does not run (their shape is checked elsewhere). */
const FOREIGN_API_VERSIONS = new Set(['monitoring.coreos.com/v1', 'cert-manager.io/v1']);

describe.skipIf(!enabled)('charts/pod-identity-agent against a real kube-apiserver', () => {
  let plane: ControlPlane;
  beforeAll(async () => {
    plane = await sharedControlPlane();
  }, 180_000);

  it.each(Object.keys(MATRIX))('accepts the rendering of %s with a server-side dry run', (name) => {
    const own = ownObjects(MATRIX[name] ?? {});
    expect(own.length).toBeGreaterThan(0);
    expectAccepted(dryRun(plane, own), own.length);
  });

  it('refuses a rendering the API server cannot accept (the dry run can fail)', () => {
    const result = dryRun(
      plane,
      ownObjects({
        cluster: { name: 'c', region: 'us-west-2' },
        extraEnv: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.nothing' } } }],
      }),
    );
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('spec.nothing');
  });
});

/** The chart's rendering of `values`, without the custom resources. */
function ownObjects(values: object): Record<string, unknown>[] {
  return helmTemplate(values).filter((o) => !FOREIGN_API_VERSIONS.has(String(o.apiVersion)));
}
