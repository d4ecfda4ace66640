import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Agent, createApp } from '../../agent/app.js';
import { createCredentialCache } from '../../agent/cache/create-credential-cache.js';
import type { CredentialCache } from '../../agent/cache/credential-cache.js';
import { loadKubeConfig } from '../../agent/kube/kube-config.js';
import type { Metrics } from '../../agent/metrics/metrics.js';
import { createPodCheck } from '../../agent/pods/create-pod-check.js';
import { POD_UID_EXTRA } from '../../agent/pods/kube-token-reviewer.js';
import { createPodBoundVerifier } from '../../agent/pods/pod-bound-verifier.js';
import type { PodChecker } from '../../agent/pods/pod-checker.js';
import { type KubeApi, type KubeObject, startKubeApi } from '../../test-support/kube-api.js';
import { FakeExchanger } from '../cache/fakes.js';
import { EPOCH, FakeVerifier } from '../fakes/fake-verifier.js';
import { captureLogger } from '../fakes/log-capture.js';
import { serverConfig } from '../fakes/server-config.js';
import { newMetrics, validations } from './fakes.js';

const HOST = '127.0.0.1:8080';
const AUDIENCE = 'pods.eks.amazonaws.com';

/** Polls `condition` every 10 ms for up to `ms`. */
async function eventually(condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A pod as FakeVerifier's tokens (`good.<name>.sig`) describe it: uid `uid-<name>`. */
function podObject(name: string, extra: { ip?: string; deleting?: boolean; node?: string } = {}): KubeObject {
  return {
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      ...(extra.deleting ? { deletionTimestamp: '2026-09-21T00:00:00Z' } : {}),
    },
    spec: { nodeName: extra.node ?? 'n1', serviceAccountName: 's3-access-sa' },
    status: { phase: 'Running', ...(extra.ip ? { podIP: extra.ip, podIPs: [{ ip: extra.ip }] } : {}) },
  };
}

describe('the credentials route with the informer pod check, against the Kubernetes API stand-in', () => {
  let api: KubeApi;
  let agent: Agent;
  let cache: CredentialCache;
  let exchanger: FakeExchanger;
  let checker: PodChecker | undefined;
  let metrics: Metrics;
  /** Pod names the TokenReview handler authenticates. */
  let reviewable: Set<string>;
  /** Uids the pod check reported gone, in order. */
  let gone: string[];

  beforeEach(async () => {
    api = await startKubeApi();
    reviewable = new Set();
    gone = [];
    api.onPost('/apis/authentication.k8s.io/v1/tokenreviews', (body) => {
      const token = (body as { spec?: { token?: string } }).spec?.token ?? '';
      const name = /^good\.([\w-]+)\.sig$/.exec(token)?.[1] ?? '';
      const status = reviewable.has(name)
        ? {
            authenticated: true,
            audiences: [AUDIENCE],
            user: { extra: { [POD_UID_EXTRA]: [`uid-${name}`] } },
          }
        : { authenticated: false, error: 'pod not found' };
      return { status: 201, body: { kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', status } };
    });
  });
  afterEach(async () => {
    await agent?.close();
    await api.close();
  });

  async function build(extra: string[] = []): Promise<void> {
    const kubeconfig = await api.writeKubeconfig();
    const config = serverConfig([
      '--pod-check',
      'informer',
      '--node-name',
      'n1',
      '--kubeconfig',
      kubeconfig,
      ...extra,
    ]);
    const clock = { now: () => EPOCH };
    metrics = newMetrics();
    const { logger } = captureLogger();
    exchanger = new FakeExchanger(clock);
    const built = createCredentialCache({ exchanger, clock, metrics, maxEntries: 100, logger });
    cache = built;
    checker = createPodCheck({
      config,
      kubeConfig: () => loadKubeConfig({ kubeconfig }),
      clock,
      metrics,
      logger,
      onPodGone: (uid) => {
        gone.push(uid);
        built.drop((identity) => identity.podUid === uid);
      },
    });
    const verifier = createPodBoundVerifier(new FakeVerifier(), checker as PodChecker);
    agent = createApp(config, {
      verifier,
      cache,
      metrics,
      logger,
      readiness: [() => checker?.notReadyReason()],
      onClose: () => checker?.close(),
    });
  }

  const get = (pod: string, remoteAddress = '127.0.0.1') =>
    agent.credentials.inject({
      method: 'GET',
      url: '/v1/credentials',
      headers: { host: HOST, authorization: `good.${pod}.sig` },
      remoteAddress,
    });
  const synced = () => checker?.notReadyReason() === undefined;

  it('is not ready until the first list, then serves a pod of this node', async () => {
    api.apply('pods', podObject('web'));
    await build();
    expect(checker?.notReadyReason()).toBe('pods of this node not listed yet');
    await eventually(synced);
    expect((await get('web')).statusCode).toBe(200);
  });

  it('refuses a deleted pod at once and drops its cached credentials', async () => {
    api.apply('pods', podObject('web'));
    await build();
    await eventually(synced);
    expect((await get('web')).statusCode).toBe(200);
    expect(cache.size).toBe(1);
    api.remove('pods', 'default', 'web');
    await eventually(() => cache.size === 0);
    const refused = await get('web');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'TokenNotBound' });
    expect(exchanger.calls).toHaveLength(1);
  });

  it('keeps serving a terminating pod until it is deleted', async () => {
    api.apply('pods', podObject('web'));
    await build();
    await eventually(synced);
    api.apply('pods', podObject('web', { deleting: true }));
    // The watch delivers events in order: once a later pod's deletion is seen, so was the update.
    api.apply('pods', podObject('marker'));
    api.remove('pods', 'default', 'marker');
    await eventually(() => gone.includes('uid-marker'));
    expect(gone).toEqual(['uid-marker']);
    expect((await get('web')).statusCode).toBe(200);
  });

  it('confirms a pod the watch has not delivered with one TokenReview, then serves it', async () => {
    await build();
    await eventually(synced);
    reviewable.add('fresh');
    expect((await get('fresh')).statusCode).toBe(200);
    expect((await get('fresh')).statusCode).toBe(200);
    const reviews = api.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/tokenreviews'));
    expect(reviews).toHaveLength(1);
  });

  it('refuses a pod that is neither on this node nor confirmed by TokenReview, with no exchange', async () => {
    api.apply('pods', podObject('elsewhere', { node: 'n2' }));
    await build();
    await eventually(synced);
    const refused = await get('elsewhere');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'TokenNotBound' });
    expect(exchanger.calls).toHaveLength(0);
    expect(await validations(metrics, 'pod_not_found')).toBe(1);
  });

  it.each([
    ['its own IP', '10.1.0.5', 200],
    ['its own IP, IPv4-mapped', '::ffff:10.1.0.5', 200],
    ["another pod's IP", '10.1.0.6', 403],
  ])('with --require-pod-ip, answers a request from %s (%s) with %i', async (_what, address, status) => {
    api.apply('pods', podObject('web', { ip: '10.1.0.5' }));
    await build(['--require-pod-ip']);
    await eventually(synced);
    expect((await get('web', address)).statusCode).toBe(status);
  });
});
