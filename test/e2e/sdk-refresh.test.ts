/**
 * Natural refresh in all six SDKs: each runs as a long-lived client in its own pod while the EKS
 * Auth stand-in issues credentials just long enough that the SDK's own refresh window arrives within
 * the test. Each SDK must fetch new credentials by itself and keep working, and the agent must call
 * upstream only for credentials a client then used, plus at most the one it refreshed ahead.
 *
 * The windows (measured here): Rust refreshes 10 s (minus up to 5 s of jitter) before expiry; Go and
 * JS 5 min before; Java treats credentials as stale 1 min before expiry and prefetches on every call
 * under 15 min; botocore (boto3, AWS CLI) refreshes on every call under 15 min and must refresh under
 * 10 min. The agent runs with `--min-remaining 30s`, so it refreshes each used entry right after
 * serving it (refresh-ahead starts `min-remaining` + 10 min before expiry, longer than these lifetimes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMotoAvailable } from '../../test-support/moto.js';
import { needs } from '../../test-support/needs.js';
import { namespaceProblem } from '../../test-support/netns.js';
import { writeTokenFile } from '../../test-support/pod-clients.js';
import { SDKS, type Sdk, sdkCommand, sdkEnv, sdkProblem } from '../../test-support/sdk-clients.js';
import { type SdkLoop, startSdkLoop } from '../../test-support/sdk-loop.js';
import { type SimNode, startSimNode } from '../../test-support/sim-node.js';
import { realClusterForSimNode } from '../../test-support/sim-node-cluster.js';
import type { SimPod } from '../../test-support/sim-pod.js';

const nodeProblem =
  namespaceProblem() ?? ((await isMotoAvailable()) ? undefined : 'python3 with moto and boto3 is missing');
const canRun = needs(nodeProblem, 'the SDK refresh tests in a simulated node');
const sdks = canRun ? SDKS.filter((sdk) => needs(sdkProblem(sdk), `the ${sdk} client`)) : [];

/** Credential lifetime per SDK (seconds): its refresh window plus about 30 s. */
const LIFETIME: Readonly<Record<Sdk, number>> = {
  rust: 45,
  java: 90,
  go: 330,
  js: 330,
  boto3: 630,
  cli: 630,
};
/** SDKs that keep their credentials until their window (the others fetch on every call below 15 min). */
const CACHING: readonly Sdk[] = ['rust', 'go', 'js'];

describe.skipIf(sdks.length === 0)('natural refresh in every SDK', { timeout: 240_000 }, () => {
  let node: SimNode;
  const loops = new Map<Sdk, SdkLoop>();

  beforeAll(async () => {
    await Promise.all(sdks.map((sdk) => sdkCommand(sdk)));
    node = await startSimNode({
      cluster: await realClusterForSimNode('the SDK refresh tests'),
      pods: sdks.map((sdk) => `app-${sdk}`),
      moto: { roles: [{ name: 'S3AccessRole', buckets: ['my-bucket'] }], buckets: ['my-bucket'] },
      associations: Object.fromEntries(
        sdks.map((sdk) => [`sa-${sdk}`, { role: 'S3AccessRole', lifetimeSeconds: LIFETIME[sdk] }]),
      ),
      agentArgs: ['--min-remaining', '30s'],
    });
    await Promise.all(
      sdks.map(async (sdk, i) => {
        const pod = node.pods[i] as SimPod;
        const token = writeTokenFile(await node.token(`sa-${sdk}`, `app-${sdk}`));
        const env = sdkEnv(pod.env(i % 2 === 0 ? 4 : 6, token), sdk, pod.motoEndpoint(4));
        loops.set(sdk, await startSdkLoop(sdk, env, 2, 120, ['put', 'my-bucket', `refresh-${sdk}`]));
      }),
    );
  }, 30 * 60_000);
  afterAll(async () => {
    await Promise.all([...loops.values()].map((loop) => loop.stop()));
    await node?.stop();
  }, 60_000);

  const keys = (loop: SdkLoop) => [...new Set(loop.results.map((r) => r.accessKeyId))];

  it.concurrent.each(sdks)('%s fetches new credentials by itself and keeps working', async (sdk) => {
    const loop = loops.get(sdk) as SdkLoop;
    // Two more calls once the SDK has moved to a second key.
    await loop.waitFor((results) => {
      const change = results.findIndex((r) => r.accessKeyId !== results[0]?.accessKeyId);
      return change > 0 && results.length >= change + 2;
    }, 180_000);
    await loop.stop();
    // Shown with any failure below: each call's key (last 4 characters) or ERR.
    const seen = loop.results.map((r) => (r.ok ? r.accessKeyId?.slice(-4) : `ERR ${r.error}`)).join(' ');
    expect(
      loop.results.filter((r) => !r.ok),
      seen,
    ).toEqual([]);
    if (CACHING.includes(sdk)) {
      // The first key served several calls: the SDK cached it until its own window.
      const first = loop.results.filter((r) => r.accessKeyId === keys(loop)[0]);
      expect(first.length, seen).toBeGreaterThanOrEqual(3);
    }
    // The agent calls upstream for a pod only when that pod fetches: once on a miss, and once to
    // refresh ahead what it just served (with lifetimes this short the refreshed entry can age past
    // --min-remaining before the SDK asks again, and is replaced). A CLI process fetches twice.
    const issued = node.eksAuth.issued
      .filter((i) => i.serviceAccount === `sa-${sdk}`)
      .map((i) => i.accessKeyId);
    const used = keys(loop);
    expect(issued, seen).toEqual(expect.arrayContaining(used));
    const fetchesPerKey = sdk === 'cli' ? 4 : 2;
    expect(issued.length, seen).toBeLessThanOrEqual(fetchesPerKey * used.length + 2);
    const change = loop.results.findIndex((r) => r.accessKeyId !== loop.results[0]?.accessKeyId);
    process.stdout.write(
      `refresh ${sdk}: ${loop.results.length} calls, ${used.length} keys, ${issued.length} upstream, ` +
        `first change after ${Math.round((loop.results[change]?.arrivedAt ?? 0) - (loop.results[0]?.arrivedAt ?? 0)) / 1000} s\n`,
    );
  });
});
