/**
 * A pod's first fetch waits on a slow EKS Auth. At 0.8 s every SDK gets credentials, and the
 * agent runs one exchange per pod however the SDK retries (single flight). At 3 s too: the agent
 * gives the first EKS Auth attempt 1.5 s and the second 4.5 s, and the exchange goes on when an
 * SDK gives up waiting, so its retry finds the credentials cached.
 * What each SDK printed and how long it took goes to .tmp/sdk-timeouts.json.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMotoAvailable } from '../../test-support/moto.js';
import { needs } from '../../test-support/needs.js';
import { namespaceProblem } from '../../test-support/netns.js';
import { PROJECT_ROOT, writeTokenFile } from '../../test-support/pod-clients.js';
import { runSdk, SDKS, sdkCommand, sdkEnv, sdkProblem } from '../../test-support/sdk-clients.js';
import { type SimNode, startSimNode } from '../../test-support/sim-node.js';
import { realClusterForSimNode } from '../../test-support/sim-node-cluster.js';
import type { SimPod } from '../../test-support/sim-pod.js';

const nodeProblem =
  namespaceProblem() ?? ((await isMotoAvailable()) ? undefined : 'python3 with moto and boto3 is missing');
const canRun = needs(nodeProblem, 'the SDK timeout tests in a simulated node');
const sdks = canRun ? SDKS.filter((sdk) => needs(sdkProblem(sdk), `the ${sdk} client`)) : [];

const observed: Record<string, unknown> = {};

describe.skipIf(sdks.length === 0)('a slow first fetch in every SDK', { timeout: 180_000 }, () => {
  let node: SimNode;
  let pod: SimPod;

  beforeAll(async () => {
    await Promise.all(sdks.map((sdk) => sdkCommand(sdk)));
    node = await startSimNode({
      cluster: await realClusterForSimNode('the SDK timeout tests'),
      pods: ['app'],
      moto: { roles: [{ name: 'S3AccessRole', buckets: ['my-bucket'] }], buckets: ['my-bucket'] },
      associations: { 'my-sa': 'S3AccessRole' },
    });
    pod = node.pods[0] as SimPod;
  }, 30 * 60_000);
  afterAll(async () => {
    await node?.stop();
    mkdirSync(join(PROJECT_ROOT, '.tmp'), { recursive: true });
    writeFileSync(join(PROJECT_ROOT, '.tmp', 'sdk-timeouts.json'), `${JSON.stringify(observed, null, 2)}\n`);
  }, 60_000);

  async function firstFetches(latencyMs: number) {
    node.eksAuth.setLatency(latencyMs);
    try {
      // A pod per SDK: each SDK's retries meet only its own upstream call (the API adds a suffix).
      return await Promise.all(
        sdks.map(async (sdk) => {
          const podName = `app-${sdk}-${latencyMs}`;
          const token = writeTokenFile(await node.token('my-sa', podName));
          const started = Date.now();
          const run = await runSdk(
            sdk,
            sdkEnv(pod.env(4, token), sdk, pod.motoEndpoint(4)),
            ['sts'],
            120_000,
          );
          const seconds = (Date.now() - started) / 1000;
          const upstream = node.eksAuth.issued.filter((i) => i.podName.startsWith(podName)).length;
          observed[`${latencyMs} ms ${sdk}`] = { seconds, upstream, result: run.results[0] };
          return { sdk, run, upstream };
        }),
      );
    } finally {
      node.eksAuth.setLatency(0);
    }
  }

  it('every SDK gets credentials when EKS Auth takes 0.8 s, with one upstream exchange per pod', async () => {
    for (const { sdk, run, upstream } of await firstFetches(800)) {
      expect(run.results[0]?.ok, `${sdk}: ${run.stdout}\n${run.stderr}`).toBe(true);
      // However often the SDK retried, the agent ran one exchange (its own retries: at most 3 attempts).
      expect(upstream, sdk).toBeGreaterThanOrEqual(1);
      expect(upstream, sdk).toBeLessThanOrEqual(3);
    }
  });

  it('every SDK gets credentials when EKS Auth takes 3 s, longer than the first attempt and than some SDKs wait', async () => {
    for (const { sdk, run, upstream } of await firstFetches(3000)) {
      expect(run.results[0]?.ok, `${sdk}: ${run.stdout}\n${run.stderr}`).toBe(true);
      // One exchange: the first attempt (given up at 1.5 s, still answered later) and the second.
      expect(upstream, sdk).toBeGreaterThanOrEqual(1);
      expect(upstream, sdk).toBeLessThanOrEqual(3);
    }
  });
});
