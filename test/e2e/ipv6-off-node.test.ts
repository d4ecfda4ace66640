/**
 * A simulated node with IPv6 turned off (sysctl `net.ipv6.conf.all.disable_ipv6=1`): init skips
 * fd00:ec2::23, the agent serves 169.254.170.23 and warns instead of failing (docs/api.md). Needs root for `ip netns`; skips with the reason otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlPlaneProblem } from '../../test-support/control-plane/binaries.js';
import { sharedControlPlane } from '../../test-support/control-plane/shared.js';
import { motoProblem } from '../../test-support/moto.js';
import { needs } from '../../test-support/needs.js';
import { namespaceProblem } from '../../test-support/netns.js';
import { boto3Put, jsClient, writeTokenFile } from '../../test-support/pod-clients.js';
import { type SimNode, startSimNode } from '../../test-support/sim-node.js';
import type { SimPod } from '../../test-support/sim-pod.js';

const enabled = needs(
  namespaceProblem() ?? (await motoProblem()) ?? controlPlaneProblem(),
  'the simulated node with IPv6 turned off',
);

describe.skipIf(!enabled)('a simulated node with IPv6 turned off', { timeout: 120_000 }, () => {
  let node: SimNode;
  let pod: SimPod;
  let tokenFile: string;

  beforeAll(async () => {
    node = await startSimNode({
      pods: ['app'],
      moto: { roles: [{ name: 'AppRole', buckets: ['app-bucket'] }], buckets: ['app-bucket'] },
      associations: { 'app-sa': 'AppRole' },
      ipv6Disabled: true,
      // Its pod, node and token are real objects of kube-apiserver.
      cluster: await sharedControlPlane(),
    });
    pod = node.pods[0] as SimPod;
    tokenFile = writeTokenFile(await node.token('app-sa', 'app'));
  }, 180_000);
  afterAll(async () => {
    await node?.stop();
  }, 60_000);

  it('init skips the IPv6 address with a warning and still succeeds', () => {
    const warning = node.initLines.find(
      (l) => l.startsWith('pod-identity-agent: IPv6 is disabled') && l.includes('fd00:ec2::23'),
    );
    expect(warning, node.initLines.join('\n')).toBeDefined();
    expect(pod.ipv6).toBeUndefined();
  });

  it('the agent warns that it serves IPv4 only', () => {
    const warning = node.agent.lines.find(
      (l) => l.includes('"level":"warn"') && l.includes('IPv6') && l.includes('fd00:ec2::23'),
    );
    expect(warning, node.agent.lines.join('\n')).toBeDefined();
  });

  it('serves boto3 and the JS SDK over IPv4', async () => {
    const [boto3, js] = await Promise.all([
      boto3Put(pod.env(4, tokenFile), pod.motoEndpoint(4), 'app-bucket', 'v4-only', 'hello'),
      jsClient(pod.env(4, tokenFile), 'put', pod.motoEndpoint(4), 'app-bucket', 'v4-only-js', 'hello'),
    ]);
    expect(boto3.stdout, boto3.stderr).toContain('put=ok');
    expect(js.stdout, js.stderr).toContain('put=ok');
  });
});
