/**
 * Every overlay, rendered by `kubectl kustomize`, is accepted by a real kube-apiserver
 * (`kubectl apply --dry-run=server`: schemas, defaulting, admission and RBAC validation).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { controlPlaneProblem } from '../../test-support/control-plane/binaries.js';
import { sharedControlPlane } from '../../test-support/control-plane/shared.js';
import type { ControlPlane } from '../../test-support/control-plane.js';
import { needs } from '../../test-support/needs.js';
import { dryRun, expectAccepted } from './dry-run.js';
import { type KubeObject, kubectlProblem, render } from './render.js';

const enabled = needs(kubectlProblem() ?? controlPlaneProblem(), 'the server-side dry-run of the manifests');
/** Kinds whose definitions come from operators this control plane does not run (checked by hand in validate.ts). */
const FOREIGN_KINDS = new Set(['PodMonitor', 'Certificate', 'Issuer']);
const MANIFESTS = fileURLToPath(new URL('../../manifests/', import.meta.url));

describe.skipIf(!enabled)('the manifests against a real kube-apiserver', () => {
  let plane: ControlPlane;
  let composed: string;
  beforeAll(async () => {
    plane = await sharedControlPlane();
    // A component is applied as part of an overlay, as its own comment tells operators to.
    composed = await mkdtemp(join(tmpdir(), 'overlay-'));
    await writeFile(
      join(composed, 'kustomization.yaml'),
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        // kustomize takes only relative roots.
        resources: [relative(composed, join(MANIFESTS, 'overlays/webhook'))],
        components: [relative(composed, join(MANIFESTS, 'overlays/webhook/annotation-roles'))],
      }),
    );
  }, 180_000);

  it.each(['eks', 'generic', 'webhook', 'webhook/manual-tls', 'webhook + annotation-roles'])(
    'accepts overlay %s with a server-side dry run',
    (overlay) => {
      const objects = overlay.includes('+') ? renderDir(composed) : render(`overlays/${overlay}`);
      const own = objects.filter((o) => !FOREIGN_KINDS.has(o.kind));
      expect(own.length).toBeGreaterThan(0);
      expectAccepted(dryRun(plane, own), own.length);
    },
  );

  it('refuses an object the API server cannot accept (the dry run can fail)', () => {
    const broken = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'Not_A_DNS_Name', namespace: 'default' },
    };
    const result = dryRun(plane, [broken as KubeObject]);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('Not_A_DNS_Name');
  });
});

/** `kubectl kustomize` of a folder outside manifests/ (the composed overlay). */
function renderDir(dir: string): KubeObject[] {
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout).map((doc) => doc.toJS() as KubeObject);
}
