import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AffectedPredicate,
  type AssociationSource,
  createAssociationSource,
} from '../../agent/associations/create-association-source.js';
import { ConfigError } from '../../agent/errors.js';
import { createMetrics } from '../../agent/metrics/metrics.js';
import { controlPlaneProblem } from '../../test-support/control-plane/binaries.js';
import { sharedControlPlane } from '../../test-support/control-plane/shared.js';
import type { ControlPlane } from '../../test-support/control-plane.js';
import { needs } from '../../test-support/needs.js';
import { serverConfig } from '../fakes/server-config.js';

const role = (name: string) => `arn:aws:iam::123456789012:role/${name}`;
const doc = (entries: Record<string, string>, namespace = 'ns') =>
  JSON.stringify({
    associations: Object.entries(entries).map(([sa, name]) => ({
      namespace,
      serviceAccount: sa,
      roleArn: role(name),
    })),
  });
const silent = { info() {}, warn() {}, error() {} };
const withCluster = needs(controlPlaneProblem(), 'the annotation-source tests against kube-apiserver');
const ANNOTATION = 'eks.amazonaws.com/role-arn';

describe('createAssociationSource', () => {
  let dir: string;
  /** Set by the tests that read annotations from the real API. */
  let kube: ControlPlane | undefined;
  let source: AssociationSource | undefined;
  const affected: AffectedPredicate[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assoc-source-'));
    affected.length = 0;
  });
  afterEach(async () => {
    await source?.close();
    source = undefined;
    kube = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function build(extra: string[]): Promise<AssociationSource> {
    const kubeconfig = kube?.kubeconfig;
    source = await createAssociationSource(serverConfig(extra), {
      clock: { now: () => 1_790_000_000_000 },
      metrics: createMetrics(new Registry()),
      logger: silent,
      kubeConfig: () => {
        const config = new KubeConfig();
        if (kubeconfig !== undefined) config.loadFromFile(kubeconfig);
        return config;
      },
      onAffected: (predicate) => affected.push(predicate),
      pollIntervalMs: 20,
    });
    return source;
  }

  it('serves the file and reports which service accounts an edit affected', async () => {
    const file = join(dir, 'associations.json');
    await writeFile(file, doc({ a: 'A', b: 'B' }));
    const built = await build(['--exchange', 'sts-assume-role', '--associations', file]);
    expect(built?.resolver.resolve('ns', 'a')?.roleArn).toBe(role('A'));
    expect(built?.notReadyReason()).toBeUndefined();
    await writeFile(file, doc({ a: 'A', b: 'Changed' }));
    await expect.poll(() => affected.length).toBe(1);
    expect([affected[0]?.('ns', 'a'), affected[0]?.('ns', 'b')]).toEqual([false, true]);
    expect(built?.resolver.resolve('ns', 'b')?.roleArn).toBe(role('Changed'));
  });

  it('throws a ConfigError for an invalid file at start', async () => {
    const file = join(dir, 'associations.yaml');
    await writeFile(file, 'associations: [{namespace: ns}]');
    await expect(build(['--exchange', 'sts-web-identity', '--associations', file])).rejects.toBeInstanceOf(
      ConfigError,
    );
  });

  it.skipIf(!withCluster)(
    'with --role-source both, lets the file win and annotations fill in, ready once listed',
    async () => {
      kube = await sharedControlPlane();
      const ns = await kube.admin.createNamespace();
      await kube.admin.createServiceAccount(ns, 'a', { [ANNOTATION]: role('Annotated') });
      await kube.admin.createServiceAccount(ns, 'c', { [ANNOTATION]: role('C') });
      const file = join(dir, 'associations.json');
      await writeFile(file, doc({ a: 'FromFile' }, ns));
      const built = await build([
        '--exchange',
        'sts-web-identity',
        '--associations',
        file,
        '--role-source',
        'both',
      ]);
      await expect.poll(() => built?.notReadyReason()).toBeUndefined();
      expect(built?.resolver.resolve(ns, 'a')?.roleArn).toBe(role('FromFile'));
      expect(built?.resolver.resolve(ns, 'c')?.roleArn).toBe(role('C'));
      affected.length = 0;
      await kube.admin.call('DELETE', `/api/v1/namespaces/${ns}/serviceaccounts/c`);
      await expect.poll(() => built?.resolver.resolve(ns, 'c')).toBeUndefined();
      expect(affected.some((p) => p(ns, 'c'))).toBe(true);
    },
    120_000,
  );

  it.skipIf(!withCluster)(
    'with --role-source annotation, needs no file',
    async () => {
      kube = await sharedControlPlane();
      const ns = await kube.admin.createNamespace();
      await kube.admin.createServiceAccount(ns, 'a', { [ANNOTATION]: role('A') });
      const built = await build(['--exchange', 'sts-web-identity', '--role-source', 'annotation']);
      await expect.poll(() => built?.resolver.resolve(ns, 'a')?.roleArn).toBe(role('A'));
    },
    120_000,
  );
});
