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
import { type KubeApi, startKubeApi } from '../../test-support/kube-api.js';
import { serverConfig } from '../fakes/server-config.js';

const role = (name: string) => `arn:aws:iam::123456789012:role/${name}`;
const doc = (entries: Record<string, string>) =>
  JSON.stringify({
    associations: Object.entries(entries).map(([sa, name]) => ({
      namespace: 'ns',
      serviceAccount: sa,
      roleArn: role(name),
    })),
  });
const silent = { info() {}, warn() {}, error() {} };

describe('createAssociationSource', () => {
  let dir: string;
  let kube: KubeApi | undefined;
  let source: AssociationSource | undefined;
  const affected: AffectedPredicate[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assoc-source-'));
    affected.length = 0;
  });
  afterEach(async () => {
    await source?.close();
    source = undefined;
    await kube?.close();
    kube = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function build(extra: string[]): Promise<AssociationSource> {
    const kubeconfig = kube === undefined ? undefined : await kube.writeKubeconfig(dir);
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

  it('with --role-source both, lets the file win and annotations fill in, ready once listed', async () => {
    kube = await startKubeApi();
    kube.apply('serviceaccounts', {
      metadata: {
        namespace: 'ns',
        name: 'a',
        annotations: { 'eks.amazonaws.com/role-arn': role('Annotated') },
      },
    });
    kube.apply('serviceaccounts', {
      metadata: { namespace: 'ns', name: 'c', annotations: { 'eks.amazonaws.com/role-arn': role('C') } },
    });
    const file = join(dir, 'associations.json');
    await writeFile(file, doc({ a: 'FromFile' }));
    const built = await build([
      '--exchange',
      'sts-web-identity',
      '--associations',
      file,
      '--role-source',
      'both',
    ]);
    await expect.poll(() => built?.notReadyReason()).toBeUndefined();
    expect(built?.resolver.resolve('ns', 'a')?.roleArn).toBe(role('FromFile'));
    expect(built?.resolver.resolve('ns', 'c')?.roleArn).toBe(role('C'));
    affected.length = 0;
    kube.remove('serviceaccounts', 'ns', 'c');
    await expect.poll(() => built?.resolver.resolve('ns', 'c')).toBeUndefined();
    expect(affected.some((p) => p('ns', 'c'))).toBe(true);
  });

  it('with --role-source annotation, needs no file', async () => {
    kube = await startKubeApi();
    kube.apply('serviceaccounts', {
      metadata: { namespace: 'ns', name: 'a', annotations: { 'eks.amazonaws.com/role-arn': role('A') } },
    });
    const built = await build(['--exchange', 'sts-web-identity', '--role-source', 'annotation']);
    await expect.poll(() => built?.resolver.resolve('ns', 'a')?.roleArn).toBe(role('A'));
  });
});
