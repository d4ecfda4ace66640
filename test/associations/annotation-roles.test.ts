import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AnnotationRoles, createAnnotationRoles } from '../../agent/associations/annotation-roles.js';
import { combineResolvers, createAssociationIndex } from '../../agent/associations/association-index.js';
import { type KubeApi, startKubeApi } from '../../test-support/kube-api.js';

const role = (name: string) => `arn:aws:iam::123456789012:role/${name}`;
const sa = (namespace: string, name: string, roleArn?: string) => ({
  metadata: {
    name,
    namespace,
    ...(roleArn === undefined ? {} : { annotations: { 'eks.amazonaws.com/role-arn': roleArn } }),
  },
});

class Logger {
  readonly warnings: object[] = [];
  info() {}
  warn(obj: object) {
    this.warnings.push(obj);
  }
}

describe('createAnnotationRoles', () => {
  let kube: KubeApi;
  let roles: AnnotationRoles | undefined;
  let logger: Logger;
  const changes: string[] = [];

  beforeEach(async () => {
    kube = await startKubeApi();
    logger = new Logger();
    changes.length = 0;
  });
  afterEach(async () => {
    await roles?.stop();
    roles = undefined;
    await kube.close();
  });

  async function open(retryDelayMs = 50): Promise<AnnotationRoles> {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(await kube.writeKubeconfig());
    roles = createAnnotationRoles({
      kubeConfig,
      logger,
      retryDelayMs,
      onChange: (namespace, name) => changes.push(`${namespace}/${name}`),
    });
    return roles;
  }

  it('resolves roles annotated before start, once listed', async () => {
    kube.apply('serviceaccounts', sa('default', 'app', role('App')));
    kube.apply('serviceaccounts', sa('default', 'plain'));
    const resolver = await open();
    expect(resolver.isSynced()).toBe(false);
    await resolver.start();
    expect(resolver.isSynced()).toBe(true);
    expect(resolver.resolve('default', 'app')).toEqual({
      namespace: 'default',
      serviceAccount: 'app',
      roleArn: role('App'),
    });
    expect(resolver.resolve('default', 'plain')).toBeUndefined();
    expect(resolver.resolve('other', 'app')).toBeUndefined();
  });

  it('follows annotations added, changed and removed while it runs, without an API call per lookup', async () => {
    const resolver = await open();
    await resolver.start();
    kube.apply('serviceaccounts', sa('ns', 'a', role('First')));
    await expect.poll(() => resolver.resolve('ns', 'a')?.roleArn).toBe(role('First'));
    kube.apply('serviceaccounts', sa('ns', 'a', role('Second')));
    await expect.poll(() => resolver.resolve('ns', 'a')?.roleArn).toBe(role('Second'));
    kube.apply('serviceaccounts', sa('ns', 'a'));
    await expect.poll(() => resolver.resolve('ns', 'a')).toBeUndefined();
    kube.apply('serviceaccounts', sa('ns', 'b', role('B')));
    await expect.poll(() => resolver.resolve('ns', 'b')?.roleArn).toBe(role('B'));
    kube.remove('serviceaccounts', 'ns', 'b');
    await expect.poll(() => resolver.resolve('ns', 'b')).toBeUndefined();
    expect(changes).toEqual(['ns/a', 'ns/a', 'ns/a', 'ns/b', 'ns/b']);

    const before = kube.requests.length;
    for (let i = 0; i < 100; i++) resolver.resolve('ns', 'a');
    expect(kube.requests.length).toBe(before);
  });

  it('ignores an annotation that is not a role ARN, and says so', async () => {
    kube.apply('serviceaccounts', sa('ns', 'bad', 'arn:aws:iam::123456789012:user/bob'));
    const resolver = await open();
    await resolver.start();
    expect(resolver.resolve('ns', 'bad')).toBeUndefined();
    expect(logger.warnings).toContainEqual({ namespace: 'ns', serviceAccount: 'bad' });
  });

  it('resumes after the server closes the watch, and re-lists after 410 Gone', async () => {
    const resolver = await open();
    await resolver.start();
    kube.closeWatches();
    kube.apply('serviceaccounts', sa('ns', 'after-close', role('X')));
    await expect.poll(() => resolver.resolve('ns', 'after-close')?.roleArn).toBe(role('X'));

    kube.compact();
    kube.closeWatches();
    kube.apply('serviceaccounts', sa('ns', 'after-gone', role('Y')));
    kube.remove('serviceaccounts', 'ns', 'after-close');
    kube.compact();
    await expect.poll(() => resolver.resolve('ns', 'after-gone')?.roleArn, { timeout: 5000 }).toBe(role('Y'));
    await expect.poll(() => resolver.resolve('ns', 'after-close'), { timeout: 5000 }).toBeUndefined();
  });

  it('keeps retrying when the API refuses it, and syncs once it is let in', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(await kube.writeKubeconfig());
    kubeConfig.users[0] = { name: 'test', token: 'wrong' } as never;
    kube.apply('serviceaccounts', sa('ns', 'a', role('A')));
    roles = createAnnotationRoles({ kubeConfig, logger, retryDelayMs: 20 });
    const started = roles.start();
    await expect.poll(() => logger.warnings.length).toBeGreaterThanOrEqual(2);
    expect(roles.isSynced()).toBe(false);
    expect(logger.warnings[0]).toMatchObject({ err: 'HTTP 401' });
    kubeConfig.users[0] = { name: 'test', token: kube.token } as never;
    await started;
    expect(roles.resolve('ns', 'a')?.roleArn).toBe(role('A'));
  });

  it('loses to file entries when combined for --role-source both', async () => {
    kube.apply('serviceaccounts', sa('ns', 'a', role('FromAnnotation')));
    kube.apply('serviceaccounts', sa('ns', 'b', role('OnlyAnnotation')));
    const resolver = await open();
    await resolver.start();
    const file = createAssociationIndex([
      { namespace: 'ns', serviceAccount: 'a', roleArn: role('FromFile') },
    ]);
    const both = combineResolvers(file, resolver);
    expect(both.resolve('ns', 'a')?.roleArn).toBe(role('FromFile'));
    expect(both.resolve('ns', 'b')?.roleArn).toBe(role('OnlyAnnotation'));
  });

  it('checks its options', () => {
    expect(() => createAnnotationRoles({ kubeConfig: new KubeConfig(), logger, retryDelayMs: 0 })).toThrow(
      '"retryDelayMs" must be a positive integer',
    );
  });
});
