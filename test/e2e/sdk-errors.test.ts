/**
 * What an application sees in each SDK when the agent cannot give it credentials: no association,
 * token file missing, a token from another cluster, an expired token, EKS Auth throttling and EKS
 * Auth unavailable. Every SDK must fail (never fall through to other credentials); the test checks
 * which ones show the agent's code, and writes what each printed to .tmp/sdk-errors.json, the source
 * of the tables in docs/troubleshooting.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterKeys } from '../../test-support/cluster-keys.js';
import { isMotoAvailable } from '../../test-support/moto.js';
import { needs } from '../../test-support/needs.js';
import { namespaceProblem } from '../../test-support/netns.js';
import { PROJECT_ROOT, writeTokenFile } from '../../test-support/pod-clients.js';
import { runSdk, SDKS, type Sdk, sdkCommand, sdkEnv, sdkProblem } from '../../test-support/sdk-clients.js';
import { type SimNode, startSimNode } from '../../test-support/sim-node.js';
import { realClusterForSimNode } from '../../test-support/sim-node-cluster.js';
import type { SimPod } from '../../test-support/sim-pod.js';
import { STORY_ISSUER } from '../../test-support/story.js';

const nodeProblem =
  namespaceProblem() ?? ((await isMotoAvailable()) ? undefined : 'python3 with moto and boto3 is missing');
const canRun = needs(nodeProblem, 'the SDK error tests in a simulated node');
const sdks = canRun ? SDKS.filter((sdk) => needs(sdkProblem(sdk), `the ${sdk} client`)) : [];

type Case =
  | 'NoAssociation'
  | 'MissingToken'
  | 'InvalidToken'
  | 'ExpiredToken'
  | 'Throttled'
  | 'UpstreamUnavailable';
const observed: Record<string, Record<string, string>> = {};

describe.skipIf(sdks.length === 0)('errors as each SDK shows them', { timeout: 180_000 }, () => {
  let node: SimNode;
  let pod: SimPod;

  beforeAll(async () => {
    await Promise.all(sdks.map((sdk) => sdkCommand(sdk)));
    node = await startSimNode({
      cluster: await realClusterForSimNode('the SDK error tests'),
      pods: ['app'],
      moto: { roles: [{ name: 'S3AccessRole', buckets: ['my-bucket'] }], buckets: ['my-bucket'] },
      associations: { 'my-sa': 'S3AccessRole' },
    });
    pod = node.pods[0] as SimPod;
  }, 30 * 60_000);
  afterAll(async () => {
    await node?.stop();
    const dir = join(PROJECT_ROOT, '.tmp');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'sdk-errors.json'), `${JSON.stringify(observed, null, 2)}\n`);
  }, 60_000);

  /** The token file each case gives the pod (a fresh pod name each, so nothing is cached). */
  async function tokenFor(which: Case): Promise<string> {
    switch (which) {
      case 'NoAssociation':
        return writeTokenFile(await node.token('sa-without-role', 'app-no-role'));
      case 'MissingToken':
        return '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token';
      case 'InvalidToken': {
        const foreign = await createClusterKeys({ alg: 'RS256', kid: 'another-cluster' });
        return writeTokenFile(
          await foreign.mintToken({
            issuer: STORY_ISSUER,
            audience: 'pods.eks.amazonaws.com',
            namespace: 'default',
            serviceAccount: 'my-sa',
            podName: 'app-foreign',
          }),
        );
      }
      case 'ExpiredToken':
        return writeTokenFile(await node.token('my-sa', 'app-expired', Date.now() - 2 * 86_400_000));
      default:
        return writeTokenFile(await node.token('my-sa', `app-${which.toLowerCase()}`));
    }
  }

  /** Checks what each SDK shows for an error the agent answered with `code` and `status`. */
  function expectAgentError(seen: Record<Sdk, string>, code: string, status: number): void {
    for (const sdk of sdks) {
      const text = seen[sdk];
      if (sdk === 'boto3' || sdk === 'cli') expect(text).toContain(`{"code":"${code}","message":"`);
      if (sdk === 'go') expect(text).toContain(`${code}: `);
      // The JS default chain reports the last provider it tried, not the agent's answer.
      if (sdk === 'js') expect(text).toMatch(/is not a valid container metadata service hostname/);
      if (sdk === 'java')
        expect(text).toContain('ContainerCredentialsProvider(): Failed to load credentials');
      if (sdk === 'rust') expect(text).toContain(`StatusCode(${status})`);
    }
  }

  async function capture(which: Case): Promise<Record<Sdk, string>> {
    const token = await tokenFor(which);
    const runs = await Promise.all(
      sdks.map((sdk) => runSdk(sdk, sdkEnv(pod.env(4, token), sdk, pod.motoEndpoint(4)), ['sts'], 120_000)),
    );
    const seen = {} as Record<Sdk, string>;
    runs.forEach((run, i) => {
      const sdk = sdks[i] as Sdk;
      expect(run.code, `${sdk}: ${run.stdout}`).not.toBe(0);
      expect(run.results[0]?.ok, `${sdk}: ${run.stdout}`).toBe(false);
      seen[sdk] = run.results[0]?.error ?? run.stderr.trim().split('\n').pop() ?? '';
    });
    observed[which] = seen;
    return seen;
  }

  it('every SDK fails for a service account without an association, which EKS Auth refuses', async () => {
    expectAgentError(await capture('NoAssociation'), 'AccessDenied', 403);
  });

  it('every SDK fails before sending when the token file is missing, most naming the file', async () => {
    const seen = await capture('MissingToken');
    for (const sdk of sdks) {
      if (sdk === 'rust') expect(seen[sdk]).toContain('No such file or directory');
      else expect(seen[sdk]).toContain('eks-pod-identity-token');
    }
  });

  it.each([
    ['InvalidToken', 401],
    ['ExpiredToken', 401],
  ] as const)('every SDK fails with %s', async (which, status) => {
    expectAgentError(await capture(which), which, status);
  });

  it('every SDK fails while EKS Auth throttles', async () => {
    node.eksAuth.setFault('throttle');
    try {
      expectAgentError(await capture('Throttled'), 'Throttled', 429);
    } finally {
      node.eksAuth.setFault('none');
    }
  });

  it('every SDK fails while EKS Auth is unavailable', async () => {
    node.eksAuth.setFault('unavailable');
    try {
      expectAgentError(await capture('UpstreamUnavailable'), 'UpstreamUnavailable', 503);
    } finally {
      node.eksAuth.setFault('none');
    }
  });
});
