import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AnnotationRoles, createAnnotationRoles } from '../../agent/associations/annotation-roles.js';
import { combineResolvers, createAssociationIndex } from '../../agent/associations/association-index.js';
import { loadKubeConfig } from '../../agent/kube/kube-config.js';
import { uniqueName } from '../../test-support/control-plane/admin-client.js';
import { createAgentIdentity, manifestClusterRole } from '../../test-support/control-plane/agent-identity.js';
import { controlPlaneProblem } from '../../test-support/control-plane/binaries.js';
import { sharedControlPlane } from '../../test-support/control-plane/shared.js';
import type { ControlPlane } from '../../test-support/control-plane.js';
import { type KubeApi, startKubeApi } from '../../test-support/kube-api.js';
import { needs } from '../../test-support/needs.js';

const enabled = needs(controlPlaneProblem(), 'the annotation-role tests against kube-apiserver');
const ANNOTATION = 'eks.amazonaws.com/role-arn';
const role = (name: string) => `arn:aws:iam::123456789012:role/${name}`;
const sa = (namespace: string, name: string, roleArn?: string) => ({
  metadata: {
    name,
    namespace,
    ...(roleArn === undefined ? {} : { annotations: { [ANNOTATION]: roleArn } }),
  },
});

class Logger {
  readonly warnings: object[] = [];
  info() {}
  warn(obj: object) {
    this.warnings.push(obj);
  }
}

describe.skipIf(!enabled)('createAnnotationRoles against kube-apiserver', () => {
  let plane: ControlPlane;
  let roles: AnnotationRoles | undefined;
  let logger: Logger;
  let ns: string;
  const changes: string[] = [];

  beforeAll(async () => {
    plane = await sharedControlPlane();
  }, 180_000);
  beforeEach(async () => {
    logger = new Logger();
    changes.length = 0;
    ns = await plane.admin.createNamespace();
  });
  afterEach(async () => {
    await roles?.stop();
    roles = undefined;
  });

  /** Creates ServiceAccount `name` in this test's namespace, annotated with `roleArn` when given. */
  const account = (name: string, roleArn?: string) =>
    plane.admin.createServiceAccount(ns, name, roleArn === undefined ? {} : { [ANNOTATION]: roleArn });
  const annotate = (name: string, roleArn: string | null) =>
    plane.admin.mergePatch(`/api/v1/namespaces/${ns}/serviceaccounts/${name}`, {
      metadata: { annotations: { [ANNOTATION]: roleArn } },
    });

  function open(kubeconfig = plane.kubeconfig, retryDelayMs = 50): AnnotationRoles {
    roles = createAnnotationRoles({
      kubeConfig: loadKubeConfig({ kubeconfig }),
      logger,
      retryDelayMs,
      onChange: (namespace, name) => {
        if (namespace === ns) changes.push(name);
      },
    });
    return roles;
  }

  it('resolves roles annotated before start, once listed', async () => {
    await account('app', role('App'));
    await account('plain');
    const resolver = open();
    expect(resolver.isSynced()).toBe(false);
    await resolver.start();
    expect(resolver.isSynced()).toBe(true);
    expect(resolver.resolve(ns, 'app')).toEqual({
      namespace: ns,
      serviceAccount: 'app',
      roleArn: role('App'),
    });
    expect(resolver.resolve(ns, 'plain')).toBeUndefined();
    expect(resolver.resolve(uniqueName('other'), 'app')).toBeUndefined();
  });

  it('follows annotations added, changed and removed, and accounts deleted, while it runs', async () => {
    const resolver = open();
    await resolver.start();
    await account('a', role('First'));
    await expect.poll(() => resolver.resolve(ns, 'a')?.roleArn).toBe(role('First'));
    await annotate('a', role('Second'));
    await expect.poll(() => resolver.resolve(ns, 'a')?.roleArn).toBe(role('Second'));
    await annotate('a', null);
    await expect.poll(() => resolver.resolve(ns, 'a')).toBeUndefined();
    await account('b', role('B'));
    await expect.poll(() => resolver.resolve(ns, 'b')?.roleArn).toBe(role('B'));
    await plane.admin.call('DELETE', `/api/v1/namespaces/${ns}/serviceaccounts/b`);
    await expect.poll(() => resolver.resolve(ns, 'b')).toBeUndefined();
    expect(changes).toEqual(['a', 'a', 'a', 'b', 'b']);
  });

  it('ignores an annotation that is not a role ARN, and says so', async () => {
    await account('bad', 'arn:aws:iam::123456789012:user/bob');
    const resolver = open();
    await resolver.start();
    expect(resolver.resolve(ns, 'bad')).toBeUndefined();
    expect(logger.warnings).toContainEqual({ namespace: ns, serviceAccount: 'bad' });
  });

  it('keeps retrying while RBAC refuses it, naming what was refused, and syncs once it is allowed', async () => {
    await account('a', role('A'));
    const name = uniqueName('agent');
    const allRules = manifestClusterRole().rules;
    const kubeconfig = await createAgentIdentity(plane, {
      name,
      rules: allRules.filter((r: { resources?: string[] }) => !r.resources?.includes('serviceaccounts')),
    });
    const resolver = open(kubeconfig, 20);
    const started = resolver.start();
    await expect.poll(() => logger.warnings.length).toBeGreaterThanOrEqual(2);
    expect(resolver.isSynced()).toBe(false);
    expect(logger.warnings[0]).toMatchObject({
      err: expect.stringContaining('cannot list resource "serviceaccounts"'),
    });
    await plane.admin.call('PUT', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${name}`, {
      metadata: { name },
      rules: allRules,
    });
    await started;
    expect(resolver.resolve(ns, 'a')?.roleArn).toBe(role('A'));
  });

  it('loses to file entries when combined for --role-source both', async () => {
    await account('a', role('FromAnnotation'));
    await account('b', role('OnlyAnnotation'));
    const resolver = open();
    await resolver.start();
    const file = createAssociationIndex([{ namespace: ns, serviceAccount: 'a', roleArn: role('FromFile') }]);
    const both = combineResolvers(file, resolver);
    expect(both.resolve(ns, 'a')?.roleArn).toBe(role('FromFile'));
    expect(both.resolve(ns, 'b')?.roleArn).toBe(role('OnlyAnnotation'));
  });
});

describe('createAnnotationRoles', () => {
  it('checks its options', () => {
    const logger = new Logger();
    expect(() => createAnnotationRoles({ kubeConfig: new KubeConfig(), logger, retryDelayMs: 0 })).toThrow(
      '"retryDelayMs" must be a positive integer',
    );
  });
});

/**
 * A closed watch and a 410 Gone at an exact moment cannot be caused on a real API server (it closes
 * watches on its own schedule and compacts every 5 minutes), so this one case uses the stand-in.
 */
describe('createAnnotationRoles against the Kubernetes API stand-in', () => {
  let kube: KubeApi;
  let roles: AnnotationRoles | undefined;
  beforeEach(async () => {
    kube = await startKubeApi();
  });
  afterEach(async () => {
    await roles?.stop();
    await kube.close();
  });

  it('resumes after the server closes the watch, and re-lists after 410 Gone', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(await kube.writeKubeconfig());
    roles = createAnnotationRoles({ kubeConfig, logger: new Logger(), retryDelayMs: 50 });
    const resolver = roles;
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
});
