import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../agent/kube/kube-config.js';
import { createPodInformer, type PodInformer } from '../../agent/pods/pod-informer.js';
import { createPodStore, type PodStore } from '../../agent/pods/pod-store.js';
import { uniqueName } from '../../test-support/control-plane/admin-client.js';
import { createAgentIdentity, manifestClusterRole } from '../../test-support/control-plane/agent-identity.js';
import { controlPlaneProblem } from '../../test-support/control-plane/binaries.js';
import { sharedControlPlane } from '../../test-support/control-plane/shared.js';
import type { ControlPlane } from '../../test-support/control-plane.js';
import { type KubeApi, type KubeObject, startKubeApi } from '../../test-support/kube-api.js';
import { needs } from '../../test-support/needs.js';

const silent: { info(): void; warn(obj: object): void } = { info: () => {}, warn: () => {} };
const withCluster = needs(controlPlaneProblem(), 'the pod informer tests against kube-apiserver');

/** Polls `condition` every 10 ms for up to `ms` (the machine is shared: be generous). */
async function eventually(condition: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function podObject(name: string, node: string, ip?: string): KubeObject {
  return {
    metadata: { name, namespace: 'default' },
    spec: { nodeName: node, serviceAccountName: 'app' },
    status: { phase: 'Running', ...(ip === undefined ? {} : { podIP: ip, podIPs: [{ ip }] }) },
  };
}

describe.skipIf(!withCluster)('createPodInformer against kube-apiserver', () => {
  let plane: ControlPlane;
  let ns: string;
  let node: string;
  let store: PodStore;
  let gone: string[];
  let informer: PodInformer | undefined;

  beforeAll(async () => {
    plane = await sharedControlPlane();
  }, 180_000);
  beforeEach(async () => {
    ns = await plane.admin.createNamespace();
    await plane.admin.createServiceAccount(ns, 'app');
    node = uniqueName('node');
    gone = [];
    store = createPodStore({ onGone: (uid) => gone.push(uid) });
  });
  afterEach(async () => {
    await informer?.stop();
    informer = undefined;
  });

  const start = (kubeconfig = plane.kubeconfig, logger = silent) => {
    informer = createPodInformer({
      kubeConfig: loadKubeConfig({ kubeconfig }),
      nodeName: node,
      store,
      logger,
      retryDelayMs: 50,
    });
    informer.start();
    return informer;
  };
  const createPod = async (name: string, nodeName = node) =>
    (await plane.admin.createPod(ns, name, { serviceAccountName: 'app', nodeName })).metadata.uid as string;
  const setIp = (name: string, ip: string) =>
    plane.admin.mergePatch(`/api/v1/namespaces/${ns}/pods/${name}/status`, {
      status: { podIP: ip, podIPs: [{ ip }] },
    });

  it('lists only the pods of its node', async () => {
    const mine = await createPod('mine');
    await setIp('mine', '10.0.0.1');
    const other = await createPod('other', uniqueName('node'));
    const watching = start();
    expect(watching.isSynced()).toBe(false);
    await eventually(() => watching.isSynced());
    expect(store.get(mine)?.ips).toEqual(['10.0.0.1']);
    expect(store.get(other)).toBeUndefined();
  });

  it('sees pods created, updated, terminating and deleted after the list, and reports deletions once', async () => {
    const watching = start();
    await eventually(() => watching.isSynced());
    const uid = await createPod('web');
    await eventually(() => store.get(uid) !== undefined);
    await setIp('web', '10.0.0.5');
    await eventually(() => store.get(uid)?.ips[0] === '10.0.0.5');
    // A graceful delete of a scheduled pod only marks it terminating (no kubelet finishes it).
    await plane.admin.call('DELETE', `/api/v1/namespaces/${ns}/pods/web`);
    await eventually(() => store.get(uid)?.terminating === true);
    expect(gone).toEqual([]);
    await plane.admin.deletePod(ns, 'web');
    await eventually(() => gone.length > 0);
    expect(gone).toEqual([uid]);
    expect(store.isGone(uid)).toBe(true);
  });

  it('stays not ready and keeps retrying while RBAC refuses it', async () => {
    const warnings: object[] = [];
    const kubeconfig = await createAgentIdentity(plane, {
      name: uniqueName('agent'),
      rules: manifestClusterRole().rules.filter(
        (r: { resources?: string[] }) => !r.resources?.includes('pods'),
      ),
    });
    const watching = start(kubeconfig, { info: () => {}, warn: (obj: object) => void warnings.push(obj) });
    await eventually(() => warnings.length >= 2);
    expect(watching.isSynced()).toBe(false);
  });
});

/**
 * Watches closed, compacted history (410 Gone) and bookmarks at an exact moment cannot be caused on a
 * real API server (it ends watches and compacts on its own schedule), so these cases use the stand-in.
 */
describe('createPodInformer against the Kubernetes API stand-in (exact faults)', () => {
  let api: KubeApi;
  let store: PodStore;
  let gone: string[];
  let informer: PodInformer;

  beforeEach(async () => {
    api = await startKubeApi();
    gone = [];
    store = createPodStore({ onGone: (uid) => gone.push(uid) });
  });
  afterEach(async () => {
    await informer?.stop();
    await api.close();
  });

  async function start(token?: string): Promise<void> {
    const kubeconfig = await api.writeKubeconfig();
    const kubeConfig = loadKubeConfig({ kubeconfig });
    if (token !== undefined) {
      const user = kubeConfig.getCurrentUser();
      if (user !== null) (user as { token?: string }).token = token;
    }
    informer = createPodInformer({ kubeConfig, nodeName: 'n1', store, logger: silent, retryDelayMs: 50 });
    informer.start();
  }

  it('resumes a closed watch from its resource version and gets the events it missed', async () => {
    api.apply('pods', podObject('a', 'n1'));
    await start();
    await eventually(() => informer.isSynced() && api.openWatches === 1);
    api.closeWatches();
    const missed = api.apply('pods', podObject('b', 'n1'));
    api.remove('pods', 'default', 'a');
    await eventually(() => store.get(missed.metadata.uid ?? '') !== undefined && gone.length === 1);
    const watches = api.requests.filter((r) => r.query.watch === 'true');
    expect(watches.length).toBeGreaterThanOrEqual(2);
    expect(watches[1]?.query.resourceVersion).not.toBe('');
    const lists = api.requests.filter((r) => r.path === '/api/v1/pods' && r.query.watch === undefined);
    expect(lists).toHaveLength(1);
  });

  it('lists again after 410 Gone and reports pods that vanished meanwhile as deleted', async () => {
    const a = api.apply('pods', podObject('a', 'n1'));
    await start();
    await eventually(() => informer.isSynced() && api.openWatches === 1);
    // Stop the watch, change things, and forget the history: the resume gets 410 and lists again.
    api.closeWatches();
    api.remove('pods', 'default', 'a');
    const b = api.apply('pods', podObject('b', 'n1'));
    api.compact();
    api.apply('pods', podObject('c', 'n1'));
    await eventually(
      () => gone.includes(a.metadata.uid ?? '') && store.get(b.metadata.uid ?? '') !== undefined,
    );
    const lists = api.requests.filter((r) => r.path === '/api/v1/pods' && r.query.watch === undefined);
    expect(lists.length).toBeGreaterThanOrEqual(2);
  });

  it('keeps its version current with bookmarks, so a resume after compaction needs no new list', async () => {
    await start();
    await eventually(() => informer.isSynced() && api.openWatches === 1);
    api.apply('pods', podObject('elsewhere', 'n2')); // moves the version on, invisible to this node
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // the stand-in bookmarks every second
    api.compact();
    api.closeWatches();
    const later = api.apply('pods', podObject('later', 'n1'));
    await eventually(() => store.get(later.metadata.uid ?? '') !== undefined);
    const lists = api.requests.filter((r) => r.path === '/api/v1/pods' && r.query.watch === undefined);
    expect(lists).toHaveLength(1);
  });
});
