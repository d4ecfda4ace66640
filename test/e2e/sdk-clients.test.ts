/**
 * Every SDK the suite knows (boto3, AWS CLI v1, JS v3, Go v2, Java v2, Rust), really run in a pod of
 * the simulated node at the exact URIs EKS injects, over IPv4 and IPv6: each writes `my-file` to the
 * bucket its role allows and is refused on the other bucket (IAM enforced by moto).
 */
import { readFileSync } from 'node:fs';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlPlaneProblem } from '../../test-support/control-plane/binaries.js';
import type { ControlPlane } from '../../test-support/control-plane.js';
import { isMotoAvailable } from '../../test-support/moto.js';
import { needs } from '../../test-support/needs.js';
import { namespaceProblem } from '../../test-support/netns.js';
import { writeTokenFile } from '../../test-support/pod-clients.js';
import { runSdk, SDKS, type Sdk, sdkCommand, sdkEnv, sdkProblem } from '../../test-support/sdk-clients.js';
import { type SimNode, startSimNode } from '../../test-support/sim-node.js';
import { realClusterForSimNode } from '../../test-support/sim-node-cluster.js';
import type { Family, SimPod } from '../../test-support/sim-pod.js';

const nodeProblem =
  namespaceProblem() ?? ((await isMotoAvailable()) ? undefined : 'python3 with moto and boto3 is missing');
const canRun = needs(nodeProblem, 'the SDK clients in a simulated node');
const sdks = canRun ? SDKS.filter((sdk) => needs(sdkProblem(sdk), `the ${sdk} client`)) : [];

describe.skipIf(sdks.length === 0)('every SDK in a pod of a simulated node', { timeout: 180_000 }, () => {
  let node: SimNode;
  let pod: SimPod;
  let token: string;

  let cluster: ControlPlane | undefined;

  beforeAll(async () => {
    cluster = await realClusterForSimNode('the SDK clients');
    // Compiled clients come from the cache; a cold build outside CI takes minutes.
    await Promise.all(sdks.map((sdk) => sdkCommand(sdk)));
    node = await startSimNode({
      cluster,
      pods: ['app'],
      moto: {
        roles: [{ name: 'S3AccessRole', buckets: ['my-bucket'] }],
        buckets: ['my-bucket', 'other-bucket'],
      },
      associations: { 'my-sa': 'S3AccessRole' },
    });
    pod = node.pods[0] as SimPod;
    token = writeTokenFile(await node.token('my-sa', 'app'));
  }, 30 * 60_000);
  afterAll(async () => {
    await node?.stop();
  }, 60_000);

  const env = (sdk: Sdk, family: Family, javaIpv6Mode?: boolean) =>
    sdkEnv(pod.env(family, token), sdk, pod.motoEndpoint(family), { javaIpv6Mode });

  describe.each<Family>([4, 6])('over IPv%s', (family) => {
    it.concurrent.each(sdks)(
      '%s writes my-file to its bucket with the agent’s credentials and is denied the other bucket',
      async (sdk) => {
        const own = await runSdk(sdk, env(sdk, family), ['put', 'my-bucket', 'my-file']);
        const other = await runSdk(sdk, env(sdk, family), ['put', 'other-bucket', 'my-file']);
        const [ok] = own.results;
        expect(ok?.ok, `${own.stdout}\n${own.stderr}`).toBe(true);
        expect(node.eksAuth.issued.map((i) => i.accessKeyId)).toContain(ok?.accessKeyId);
        const [denied] = other.results;
        expect(denied?.ok, other.stdout).toBe(false);
        expect(denied?.error).toMatch(/AccessDenied/);
      },
    );
  });

  it.skipIf(!sdks.includes('java'))(
    'lets Java use either address whether or not AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE is IPv6',
    async () => {
      const v6Mode = { AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' };
      const runs = await Promise.all([
        runSdk('java', env('java', 6, false), ['sts']),
        runSdk('java', { ...env('java', 4), extra: { ...env('java', 4).extra, ...v6Mode } }, ['sts']),
      ]);
      for (const run of runs) expect(run.results[0]?.ok, run.stdout).toBe(true);
    },
  );

  it.skipIf(controlPlaneProblem() !== undefined)('gives the pod a token from the TokenRequest API', () => {
    const claims = decodeJwt(readFileSync(token, 'utf8'));
    expect(claims.iss).toBe(cluster?.issuer);
    expect(claims.iss).toMatch(/^https:\/\/127\.0\.0\.1:/);
    expect(claims['kubernetes.io']).toMatchObject({
      namespace: node.namespace,
      node: { name: node.nodeName },
    });
  });

  it.concurrent.each(sdks)('%s calls STS GetCallerIdentity as the associated role', async (sdk) => {
    const run = await runSdk(sdk, env(sdk, 4), ['sts']);
    expect(run.results[0]?.arn, `${run.stdout}\n${run.stderr}`).toMatch(/assumed-role\/S3AccessRole\//);
  });
});
