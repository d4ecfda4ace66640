import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AssociationIndex } from '../../agent/associations/association-index.js';
import { isAffected } from '../../agent/associations/association-index.js';
import { type AssociationStore, createAssociationStore } from '../../agent/associations/association-store.js';
import type { Clock } from '../../agent/clock.js';
import { ConfigError } from '../../agent/errors.js';
import { createMetrics, type Metrics } from '../../agent/metrics/metrics.js';

const EPOCH = 1_790_000_000_000;
const role = (name: string) => `arn:aws:iam::123456789012:role/${name}`;
const doc = (entries: Record<string, string>) =>
  JSON.stringify({
    associations: Object.entries(entries).map(([sa, name]) => ({
      namespace: 'ns',
      serviceAccount: sa,
      roleArn: role(name),
    })),
  });

class RecordingLogger {
  readonly lines: { level: string; obj: object; msg: string }[] = [];
  info(obj: object, msg: string) {
    this.lines.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg: string) {
    this.lines.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg: string) {
    this.lines.push({ level: 'error', obj, msg });
  }
}

async function reloads(metrics: Metrics, result: string): Promise<number> {
  const { values } = await metrics.associationsReloads.get();
  return values.find((v) => v.labels.result === result)?.value ?? 0;
}

describe('createAssociationStore', () => {
  let dir: string;
  let metrics: Metrics;
  let logger: RecordingLogger;
  let store: AssociationStore | undefined;
  const changes: [AssociationIndex, AssociationIndex][] = [];
  const clock: Clock = { now: () => EPOCH };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assoc-'));
    metrics = createMetrics(new Registry());
    logger = new RecordingLogger();
    changes.length = 0;
  });
  afterEach(async () => {
    store?.close();
    store = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  const open = (file: string, pollIntervalMs = 60_000) =>
    createAssociationStore({
      file,
      clock,
      metrics,
      logger,
      pollIntervalMs,
      onChange: (previous, next) => changes.push([previous, next]),
    });

  it('loads the file at start and resolves from it', async () => {
    const file = join(dir, 'a.json');
    await writeFile(file, doc({ app: 'App' }));
    store = await open(file);
    expect(store.resolve('ns', 'app')?.roleArn).toBe(role('App'));
    expect(store.loadedAt).toBe(EPOCH);
    expect(await reloads(metrics, 'success')).toBe(1);
  });

  it('rejects an invalid file at start with a ConfigError naming the file and field', async () => {
    const file = join(dir, 'a.yaml');
    await writeFile(file, 'associations:\n  - namespace: ns\n    serviceAccount: x\n    roleArn: nope\n');
    const error = await open(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      `--associations ${file}: associations[0].roleArn must be an IAM role ARN`,
    ]);
    expect(await reloads(metrics, 'error')).toBe(1);
  });

  it('rejects a missing file at start with a ConfigError', async () => {
    await expect(open(join(dir, 'missing.yaml'))).rejects.toBeInstanceOf(ConfigError);
  });

  it('swaps in an edited file and reports what changed', async () => {
    const file = join(dir, 'a.json');
    await writeFile(file, doc({ app: 'Old', gone: 'Gone', same: 'Same' }));
    store = await open(file);
    await writeFile(file, doc({ app: 'New', same: 'Same' }));
    expect(await store.reload()).toBe(true);
    expect(store.resolve('ns', 'app')?.roleArn).toBe(role('New'));
    expect(store.resolve('ns', 'gone')).toBeUndefined();
    expect(changes).toHaveLength(1);
    const [previous, next] = changes[0] as [AssociationIndex, AssociationIndex];
    const affected = isAffected(previous, next);
    expect([affected('ns', 'app'), affected('ns', 'gone'), affected('ns', 'same')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(await reloads(metrics, 'success')).toBe(2);
  });

  it('does nothing when the content is unchanged', async () => {
    const file = join(dir, 'a.json');
    await writeFile(file, doc({ app: 'App' }));
    store = await open(file);
    await writeFile(file, doc({ app: 'App' }));
    expect(await store.reload()).toBe(false);
    expect(changes).toHaveLength(0);
  });

  it('keeps the previous mapping on an invalid file, logs why and counts one error per content', async () => {
    const file = join(dir, 'a.yaml');
    await writeFile(file, doc({ app: 'App' }));
    store = await open(file);
    await writeFile(file, 'associations:\n  - namespace: ns\n    serviceAccount: app\n');
    expect(await store.reload()).toBe(false);
    expect(await store.reload()).toBe(false);
    expect(store.resolve('ns', 'app')?.roleArn).toBe(role('App'));
    expect(await reloads(metrics, 'error')).toBe(1);
    const logged = logger.lines.find((l) => l.level === 'error');
    expect(logged?.obj).toMatchObject({ problems: ['associations[0].roleArn must be an IAM role ARN'] });
    await writeFile(file, doc({ app: 'Fixed' }));
    expect(await store.reload()).toBe(true);
    expect(store.resolve('ns', 'app')?.roleArn).toBe(role('Fixed'));
  });

  it('keeps the previous mapping while the file is missing, then picks it up again', async () => {
    const file = join(dir, 'a.json');
    await writeFile(file, doc({ app: 'App' }));
    store = await open(file);
    await rm(file);
    expect(await store.reload()).toBe(false);
    expect(await store.reload()).toBe(false);
    expect(store.resolve('ns', 'app')?.roleArn).toBe(role('App'));
    expect(await reloads(metrics, 'error')).toBe(1);
    await writeFile(file, doc({ app: 'Back' }));
    expect(await store.reload()).toBe(true);
  });

  it('follows a ConfigMap-style ..data symlink swap on its own polling', async () => {
    // Kubernetes mounts key -> ..data/key, ..data -> ..<timestamp>/, and updates by renaming a new ..data link.
    await mkdir(join(dir, '..v1'));
    await writeFile(join(dir, '..v1', 'associations.yaml'), doc({ app: 'V1' }));
    await symlink('..v1', join(dir, '..data'));
    await symlink('..data/associations.yaml', join(dir, 'associations.yaml'));
    store = await open(join(dir, 'associations.yaml'), 20);
    expect(store.resolve('ns', 'app')?.roleArn).toBe(role('V1'));

    await mkdir(join(dir, '..v2'));
    await writeFile(join(dir, '..v2', 'associations.yaml'), doc({ app: 'V2' }));
    await symlink('..v2', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await rm(join(dir, '..v1'), { recursive: true });

    await expect.poll(() => store?.resolve('ns', 'app')?.roleArn, { timeout: 5000 }).toBe(role('V2'));
    expect(changes).toHaveLength(1);
  });

  it.each([
    [{ file: '' }, '"file" must be a non-empty path'],
    [{ pollIntervalMs: 0 }, '"pollIntervalMs" must be an integer of at least 10'],
  ])('validates its options: %j', async (override, message) => {
    const options = { file: join(dir, 'x'), clock, metrics, logger, ...override };
    await expect(createAssociationStore(options)).rejects.toThrow(message);
  });
});
