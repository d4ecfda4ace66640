/**
 * Real SDK clients in simulated pods reach the agent at 169.254.170.23:80 and [fd00:ec2::23]:80 in a
 * simulated node. Needs root for `ip netns`; skips with the reason otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoProblem } from '../../test-support/moto.js';
import { needs } from '../../test-support/needs.js';
import { namespaceProblem } from '../../test-support/netns.js';
import {
  awsCliCopy,
  boto3Put,
  botocoreCredentials,
  type ClientRun,
  jsClient,
  runInPod,
  writeTokenFile,
} from '../../test-support/pod-clients.js';
import { startBoto3Loop } from '../../test-support/pod-loop.js';
import { type SimNode, startSimNode } from '../../test-support/sim-node.js';
import { CREDENTIALS_URI, type Family, type SimPod } from '../../test-support/sim-pod.js';

const enabled = needs(namespaceProblem() ?? (await motoProblem()), 'the simulated node with two pods');

const CLIENTS: Record<
  string,
  (pod: SimPod, family: Family, tokenFile: string, bucket: string, key: string) => Promise<ClientRun>
> = {
  'boto3 put_object': (pod, family, tokenFile, bucket, key) =>
    boto3Put(pod.env(family, tokenFile), pod.motoEndpoint(family), bucket, key, 'hello'),
  'AWS CLI v1 s3 cp': (pod, family, tokenFile, bucket, key) =>
    awsCliCopy(pod.env(family, tokenFile), pod.motoEndpoint(family), bucket, key, 'hello'),
  'JS SDK v3 S3Client (default chain)': (pod, family, tokenFile, bucket, key) =>
    jsClient(pod.env(family, tokenFile), 'put', pod.motoEndpoint(family), bucket, key, 'hello'),
};

describe.skipIf(!enabled)('a simulated node with two pods', { timeout: 120_000 }, () => {
  let node: SimNode;
  let podA: SimPod;
  let podB: SimPod;
  let lonely: SimPod;
  let tokenA: string;
  let tokenB: string;

  beforeAll(async () => {
    node = await startSimNode({
      pods: ['app-a', 'app-b', 'lonely'],
      moto: {
        roles: [
          { name: 'RoleA', buckets: ['bucket-a'] },
          { name: 'RoleB', buckets: ['bucket-b'] },
        ],
        buckets: ['bucket-a', 'bucket-b'],
      },
      associations: { 'sa-a': 'RoleA', 'sa-b': 'RoleB' },
      agentArgs: ['--rate-limit', '5'],
    });
    [podA, podB, lonely] = node.pods as [SimPod, SimPod, SimPod];
    tokenA = writeTokenFile(await node.token('sa-a', 'app-a'));
    tokenB = writeTokenFile(await node.token('sa-b', 'app-b'));
  }, 180_000);
  afterAll(async () => {
    await node?.stop();
  }, 60_000);

  it('put the link-local addresses on the node with the real init command', () => {
    expect(node.initLines.join('\n')).toMatch(/init: done/);
  });

  describe.each<Family>([4, 6])('over IPv%s', (family) => {
    it.concurrent.each(Object.keys(CLIENTS))('%s in a pod writes to its own bucket', async (client) => {
      const run = CLIENTS[client] as (typeof CLIENTS)[string];
      const result = await run(podA, family, tokenA, 'bucket-a', `v${family}-${client.split(' ')[0]}`);
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    });
  });

  it('the URIs are exactly the ones EKS injects', () => {
    expect(podA.env(4, tokenA).credentialsUri).toBe('http://169.254.170.23/v1/credentials');
    expect(podA.env(6, tokenA).credentialsUri).toBe('http://[fd00:ec2::23]/v1/credentials');
    expect(CREDENTIALS_URI[6]).toContain('[fd00:ec2::23]');
  });

  it('gives pods with different service accounts different roles, each kept out of the other bucket', async () => {
    const [aOwn, aOther, bOwn, bOther] = await Promise.all([
      boto3Put(podA.env(4, tokenA), podA.motoEndpoint(4), 'bucket-a', 'iso-a', 'a'),
      boto3Put(podA.env(4, tokenA), podA.motoEndpoint(4), 'bucket-b', 'iso-a', 'a'),
      boto3Put(podB.env(6, tokenB), podB.motoEndpoint(6), 'bucket-b', 'iso-b', 'b'),
      boto3Put(podB.env(6, tokenB), podB.motoEndpoint(6), 'bucket-a', 'iso-b', 'b'),
    ]);
    expect(aOwn.stdout).toContain('method=container-role');
    expect(aOwn.stdout).toContain('put=ok');
    expect(aOther.stdout).toContain('put=AccessDenied');
    expect(bOwn.stdout).toContain('put=ok');
    expect(bOther.stdout).toContain('put=AccessDenied');
    const roles = new Set(
      node.eksAuth.issued.map((i) => `${i.serviceAccount}->${i.roleArn.split('/').pop()}`),
    );
    expect(roles).toEqual(new Set(['sa-a->RoleA', 'sa-b->RoleB']));
  });

  it("sees each pod's own source address: one pod's flood is throttled, the other pod is still served", async () => {
    // One curl, one kept-alive connection, 40 requests: well past the burst of 10 whatever the load.
    const urls = Array.from({ length: 40 }, () => [CREDENTIALS_URI[4], '-o', '/dev/null']).flat();
    const flood = await runInPod(
      'sh',
      ['-c', 'exec curl -s -w "%{http_code} " -H "Authorization: $(cat "$TOKEN")" "$@"', 'curl', ...urls],
      { ...podB.env(4, tokenB), extra: { TOKEN: tokenB } },
    );
    const codes = flood.stdout.trim().split(' ');
    expect(codes).toHaveLength(40);
    expect(codes).toContain('200');
    expect(codes).toContain('429');
    const other = await runInPod(
      'sh',
      [
        '-c',
        `curl -s -o /dev/null -w '%{http_code}' -H "Authorization: $(cat "$TOKEN")" ${CREDENTIALS_URI[4]}`,
      ],
      { ...podA.env(4, tokenA), extra: { TOKEN: tokenA } },
    );
    expect(other.stdout).toBe('200');
  });

  it('gives a pod without its token no credentials, and the agent logs the refusal', async () => {
    const refusals = () => node.agent.lines.filter((l) => l.includes('"MissingToken"')).length;
    const before = refusals();
    // Token volume not mounted: the SDK fails before sending. No token variable at all: the SDK asks
    // without an Authorization header and the agent refuses.
    const [fileMissing, noToken] = await Promise.all([
      botocoreCredentials(lonely.env(4, '/nonexistent/eks-pod-identity-token')),
      botocoreCredentials(lonely.env(4, undefined)),
    ]);
    expect(fileMissing.code, fileMissing.stdout).not.toBe(0);
    expect(noToken.code, noToken.stdout).not.toBe(0);
    expect(noToken.stderr).toMatch(/CredentialRetrievalError|Unauthorized|401/);
    expect(refusals()).toBeGreaterThan(before);
  });

  it('keeps serving a running client whose token file is rotated, without a new upstream call', async () => {
    const first = await node.token('sa-a', 'app-a', Date.now() - 120_000);
    const file = writeTokenFile(first);
    const loop = startBoto3Loop(podA.env(4, file), podA.motoEndpoint(4), 'bucket-a');
    try {
      await loop.waitFor((r) => r.filter((x) => x.outcome === 'ok').length >= 2);
      const upstream = node.eksAuth.calls.total;
      const rotated = await node.token('sa-a', 'app-a');
      expect(rotated).not.toBe(first);
      writeTokenFile(rotated, file.replace(/\/[^/]+$/, ''));
      const at = loop.rounds.length;
      await loop.waitFor((r) => r.slice(at).filter((x) => x.outcome === 'ok').length >= 3);
      expect(node.eksAuth.calls.total).toBe(upstream);
      // Control: the client does read the file on every fetch; another pod's token is a new identity.
      writeTokenFile(await node.token('sa-a', 'app-a-2'), file.replace(/\/[^/]+$/, ''));
      const at2 = loop.rounds.length;
      await loop.waitFor((r) => r.slice(at2).filter((x) => x.outcome === 'ok').length >= 2);
      expect(node.eksAuth.calls.total).toBe(upstream + 1);
      expect(loop.rounds.every((r) => r.outcome === 'ok')).toBe(true);
    } finally {
      await loop.stop();
    }
  });

  it('lets running clients recover on their next fetch after the agent restarts', async () => {
    const loop = startBoto3Loop(podB.env(6, tokenB), podB.motoEndpoint(6), 'bucket-b', 200);
    try {
      await loop.waitFor((r) => r.filter((x) => x.outcome === 'ok').length >= 2);
      const upstream = node.eksAuth.calls.success;
      await node.restartAgent();
      const restartedAt = Date.now();
      await loop.waitFor((r) => r.filter((x) => x.at > restartedAt && x.outcome === 'ok').length >= 3);
      expect(loop.running).toBe(true);
      // The new process starts with an empty cache: one exchange for the pod, then hits.
      expect(node.eksAuth.calls.success).toBe(upstream + 1);
    } finally {
      await loop.stop();
    }
  });
});
