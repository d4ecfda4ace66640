import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../agent/kube/kube-config.js';
import { createPodInformer, type PodInformer } from '../../agent/pods/pod-informer.js';
import { createPodStore, type PodStore } from '../../agent/pods/pod-store.js';
import { type KubeApi, type KubeObject, startKubeApi } from '../../test-support/kube-api.js';

const silent = { info: () => {}, warn: () => {} };

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

describe('createPodInformer against the Kubernetes API stand-in', () => {
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

  it('lists only the pods of its node, with the node field selector', async () => {
    const mine = api.apply('pods', podObject('mine', 'n1', '10.0.0.1'));
    const other = api.apply('pods', podObject('other', 'n2', '10.0.0.2'));
    await start();
    expect(informer.isSynced()).toBe(false);
    await eventually(() => informer.isSynced());
    expect(store.get(mine.metadata.uid ?? '')?.ips).toEqual(['10.0.0.1']);
    expect(store.get(other.metadata.uid ?? '')).toBeUndefined();
    const list = api.requests.find((r) => r.path === '/api/v1/pods' && r.query.watch === undefined);
    expect(list?.query.fieldSelector).toBe('spec.nodeName=n1');
    const watch = api.requests.find((r) => r.path === '/api/v1/pods' && r.query.watch === 'true');
    expect(watch?.query).toMatchObject({ fieldSelector: 'spec.nodeName=n1', allowWatchBookmarks: 'true' });
  });

  it('sees pods created, updated and deleted after the list, and reports deletions once', async () => {
    await start();
    await eventually(() => informer.isSynced());
    const created = api.apply('pods', podObject('web', 'n1'));
    const uid = created.metadata.uid ?? '';
    await eventually(() => store.get(uid) !== undefined);
    api.apply('pods', podObject('web', 'n1', '10.0.0.5'));
    await eventually(() => store.get(uid)?.ips[0] === '10.0.0.5');
    api.apply('pods', {
      ...podObject('web', 'n1', '10.0.0.5'),
      metadata: { name: 'web', namespace: 'default', deletionTimestamp: '2026-09-21T00:00:00Z' },
    });
    await eventually(() => store.get(uid)?.terminating === true);
    api.remove('pods', 'default', 'web');
    await eventually(() => gone.length > 0);
    expect(gone).toEqual([uid]);
    expect(store.isGone(uid)).toBe(true);
  });

  it('stays not ready and keeps retrying while the API server refuses it', async () => {
    await start('wrong-token');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(informer.isSynced()).toBe(false);
    const lists = api.requests.filter((r) => r.path === '/api/v1/pods').length;
    expect(lists).toBeGreaterThan(1); // it retried
  });

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
