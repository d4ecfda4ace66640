import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Agent, createApp } from '../../agent/app.js';
import { createCredentialCache } from '../../agent/cache/create-credential-cache.js';
import type { CredentialCache } from '../../agent/cache/credential-cache.js';
import { loadKubeConfig } from '../../agent/kube/kube-config.js';
import type { Metrics } from '../../agent/metrics/metrics.js';
import { createPodCheck } from '../../agent/pods/create-pod-check.js';
import { NODE_NAME_EXTRA, POD_UID_EXTRA } from '../../agent/pods/kube-token-reviewer.js';
import type { PodChecker } from '../../agent/pods/pod-checker.js';
import { uniqueName } from '../../test-support/control-plane/admin-client.js';
import { controlPlaneProblem } from '../../test-support/control-plane/binaries.js';
import { sharedControlPlane } from '../../test-support/control-plane/shared.js';
import type { ControlPlane } from '../../test-support/control-plane.js';
import { type KubeApi, startKubeApi } from '../../test-support/kube-api.js';
import { needs } from '../../test-support/needs.js';
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

const withCluster = needs(controlPlaneProblem(), 'the pod-check route tests against kube-apiserver');

/** FakeVerifier's tokens (`good.<name>.sig`), naming the namespace and uid kube-apiserver gave pod `<name>`. */
class RealUidVerifier extends FakeVerifier {
  constructor(private readonly pods: ReadonlyMap<string, { namespace: string; uid: string }>) {
    super();
  }
  override async verify(token: string) {
    const verified = await super.verify(token);
    const pod = this.pods.get(verified.identity.podName);
    const identity = {
      ...verified.identity,
      podUid: pod?.uid ?? 'no-such-pod',
      namespace: pod?.namespace ?? 'none',
    };
    return { ...verified, identity };
  }
}

describe.skipIf(!withCluster)(
  'the credentials route with the informer pod check, against kube-apiserver',
  () => {
    let plane: ControlPlane;
    let ns: string;
    let node: string;
    let agent: Agent;
    let cache: CredentialCache;
    let exchanger: FakeExchanger;
    let checker: PodChecker | undefined;
    let metrics: Metrics;
    const uids = new Map<string, { namespace: string; uid: string }>();
    /** Uids the pod check reported gone, in order. */
    const gone: string[] = [];

    beforeAll(async () => {
      plane = await sharedControlPlane();
    }, 180_000);
    beforeEach(async () => {
      ns = await plane.admin.createNamespace();
      await plane.admin.createServiceAccount(ns, 's3-access-sa');
      node = uniqueName('node');
      uids.clear();
      gone.length = 0;
    });
    afterEach(async () => {
      await agent?.close();
    });

    const createPod = async (name: string, options: { node?: string; ip?: string } = {}) => {
      const pod = await plane.admin.createPod(ns, name, {
        serviceAccountName: 's3-access-sa',
        nodeName: options.node ?? node,
      });
      uids.set(name, { namespace: ns, uid: pod.metadata.uid });
      if (options.ip !== undefined)
        await plane.admin.mergePatch(`/api/v1/namespaces/${ns}/pods/${name}/status`, {
          status: { podIP: options.ip, podIPs: [{ ip: options.ip }] },
        });
    };

    function build(extra: string[] = []): void {
      const config = serverConfig([
        '--pod-check',
        'informer',
        '--node-name',
        node,
        '--kubeconfig',
        plane.kubeconfig,
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
        kubeConfig: () => loadKubeConfig({ kubeconfig: plane.kubeconfig }),
        clock,
        metrics,
        logger,
        onPodGone: (uid) => {
          gone.push(uid);
          built.drop((identity) => identity.podUid === uid);
        },
      });
      agent = createApp(config, {
        verifier: new RealUidVerifier(uids),
        podCheck: checker as PodChecker,
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
      await createPod('web');
      build();
      expect(checker?.notReadyReason()).toBe('pods of this node not listed yet');
      await eventually(synced);
      expect((await get('web')).statusCode).toBe(200);
    });

    it('refuses a deleted pod at once and drops its cached credentials', async () => {
      await createPod('web');
      build();
      await eventually(synced);
      expect((await get('web')).statusCode).toBe(200);
      expect(cache.size).toBe(1);
      await plane.admin.deletePod(ns, 'web');
      await eventually(() => cache.size === 0);
      const refused = await get('web');
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'TokenNotBound' });
      expect(exchanger.calls).toHaveLength(1);
    });

    it('keeps serving a terminating pod until it is deleted', async () => {
      await createPod('web');
      build();
      await eventually(synced);
      // A graceful delete of a scheduled pod only marks it terminating (there is no kubelet).
      await plane.admin.call('DELETE', `/api/v1/namespaces/${ns}/pods/web`);
      // The watch delivers events in order: once a later pod's deletion is seen, so was the update.
      await createPod('marker');
      await plane.admin.call('DELETE', `/api/v1/namespaces/${ns}/pods/marker?gracePeriodSeconds=0`);
      const marker = uids.get('marker')?.uid ?? '';
      await eventually(() => gone.includes(marker));
      expect(gone).toEqual([marker]);
      expect((await get('web')).statusCode).toBe(200);
    });

    it('refuses a pod that is neither on this node nor confirmed by TokenReview, with no exchange', async () => {
      await createPod('elsewhere', { node: uniqueName('node') });
      build();
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
      await createPod('web', { ip: '10.1.0.5' });
      build(['--require-pod-ip']);
      await eventually(synced);
      expect((await get('web', address)).statusCode).toBe(status);
    });
  },
);

/**
 * A pod the watch has not delivered yet, at the moment its token arrives, cannot be arranged on a
 * real API server (its watch is fast), and FakeVerifier's tokens are not ones it could review: this
 * case uses the stand-in, whose TokenReview answers are set by the test.
 */
describe('the credentials route with the informer pod check, against the Kubernetes API stand-in', () => {
  let api: KubeApi;
  let agent: Agent;
  let cache: CredentialCache;
  let exchanger: FakeExchanger;
  let checker: PodChecker | undefined;
  let metrics: Metrics;
  /** Pod names the TokenReview handler authenticates. */
  let reviewable: Set<string>;
  /** The node the TokenReview handler names for them. */
  let reviewNode: string;

  beforeEach(async () => {
    api = await startKubeApi();
    reviewable = new Set();
    reviewNode = 'n1';
    api.onPost('/apis/authentication.k8s.io/v1/tokenreviews', (body) => {
      const token = (body as { spec?: { token?: string } }).spec?.token ?? '';
      const name = /^good\.([\w-]+)\.sig$/.exec(token)?.[1] ?? '';
      const status = reviewable.has(name)
        ? {
            authenticated: true,
            audiences: [AUDIENCE],
            // As API servers 1.30+ answer: the pod's uid and its node.
            user: { extra: { [POD_UID_EXTRA]: [`uid-${name}`], [NODE_NAME_EXTRA]: [reviewNode] } },
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
      onPodGone: (uid) => built.drop((identity) => identity.podUid === uid),
    });
    agent = createApp(config, {
      verifier: new FakeVerifier(),
      podCheck: checker as PodChecker,
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

  it('confirms a pod the watch has not delivered with one TokenReview, then serves it', async () => {
    await build();
    await eventually(synced);
    reviewable.add('fresh');
    expect((await get('fresh')).statusCode).toBe(200);
    expect((await get('fresh')).statusCode).toBe(200);
    const reviews = api.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/tokenreviews'));
    expect(reviews).toHaveLength(1);
  });

  it('refuses a pod the watch has not delivered when TokenReview places it on another node', async () => {
    await build();
    await eventually(synced);
    reviewable.add('roaming');
    reviewNode = 'n2';
    const refused = await get('roaming');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'TokenNotBound' });
    expect(exchanger.calls).toHaveLength(0);
  });
});
