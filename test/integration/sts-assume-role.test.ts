import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, startAgent } from '../../test-support/agent-process.js';
import { type ClusterKeys, createClusterKeys } from '../../test-support/cluster-keys.js';
import {
  type MotoServer,
  type MotoSetup,
  motoProblem,
  setupActionCount,
  setupMoto,
  startMoto,
} from '../../test-support/moto.js';
import { needs } from '../../test-support/needs.js';
import { boto3Put, jsClient, writeTokenFile } from '../../test-support/pod-clients.js';
import { type RecordingProxy, startRecordingProxy } from '../../test-support/recording-proxy.js';

const withMoto = needs(await motoProblem(), 'the sts-assume-role agent tests against moto');

const ISSUER = 'https://issuer.example';
const AUDIENCE = 'pods.eks.amazonaws.com';
const REGION = 'us-east-1';
const SPEC = {
  roles: [
    { name: 'S3AccessRole', buckets: ['my-bucket'] },
    { name: 'OtherRole', buckets: ['other-bucket'] },
  ],
  buckets: ['my-bucket', 'other-bucket'],
};

describe.skipIf(!withMoto)('agent with --exchange sts-assume-role against moto (IAM enforced)', () => {
  let moto: MotoServer;
  let setup: MotoSetup;
  let proxy: RecordingProxy;
  let keys: ClusterKeys;
  let agent: AgentProcess;
  let dir: string;
  let associationsFile: string;

  const tokenFor = (serviceAccount: string, podName = 'app-7d4b9') =>
    keys.mintToken({ issuer: ISSUER, audience: AUDIENCE, namespace: 'default', serviceAccount, podName });
  const associations = (entries: Record<string, string>) =>
    `associations:\n${Object.entries(entries)
      .map(
        ([sa, role]) =>
          `  - namespace: default\n    serviceAccount: "${sa}"\n    roleArn: ${setup.roles[role]}\n`,
      )
      .join('')}`;
  /** Replaces the file the way a ConfigMap update does: a new file renamed over the old one. */
  async function replaceAssociations(text: string): Promise<void> {
    const next = `${associationsFile}.next`;
    await writeFile(next, text);
    await rename(next, associationsFile);
  }

  async function fetchCredentials(token: string): Promise<{ status: number; body: Record<string, string> }> {
    const response = await fetch(agent.url, { headers: { authorization: token } });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  }
  async function callerArn(token: string): Promise<string | undefined> {
    const { status, body } = await fetchCredentials(token);
    if (status !== 200) return `HTTP ${status} ${body.code}`;
    const sts = new STSClient({
      region: REGION,
      endpoint: moto.endpoint,
      credentials: {
        accessKeyId: body.AccessKeyId ?? '',
        secretAccessKey: body.SecretAccessKey ?? '',
        sessionToken: body.Token,
      },
    });
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  }

  beforeAll(async () => {
    moto = await startMoto({ authActions: setupActionCount(SPEC) });
    setup = await setupMoto(moto.endpoint, SPEC);
    proxy = await startRecordingProxy(moto.endpoint);
    keys = await createClusterKeys();
    dir = await mkdtemp(join(tmpdir(), 'sts-agent-'));
    associationsFile = join(dir, 'associations.yaml');
    await writeFile(
      associationsFile,
      associations({ 's3-access-sa': 'S3AccessRole', 'other-sa': 'OtherRole' }),
    );
    agent = await startAgent({
      args: [
        ...['--exchange', 'sts-assume-role', '--cluster-name', 'demo', '--region', REGION],
        ...['--sts-endpoint', proxy.endpoint, '--allow-plain-http', '--associations', associationsFile],
        ...['--cluster-arn', 'arn:aws:eks:us-east-1:123456789012:cluster/demo'],
        ...['--issuer', ISSUER, '--audience', AUDIENCE, '--jwks-file', await keys.writeJwksFile(dir)],
      ],
      env: {
        AWS_ACCESS_KEY_ID: setup.accessKeyId,
        AWS_SECRET_ACCESS_KEY: setup.secretAccessKey,
        AWS_REGION: REGION,
      },
    });
  });
  afterAll(async () => {
    await agent?.stop();
    await proxy?.close();
    await moto?.stop();
  });

  it('serves boto3: allowed bucket written, other bucket denied', async () => {
    const pod = { credentialsUri: agent.url, tokenFile: writeTokenFile(await tokenFor('s3-access-sa')) };
    const allowed = await boto3Put(pod, moto.endpoint, 'my-bucket', 'boto3.txt', 'hello');
    expect(allowed.stdout).toContain('method=container-role');
    expect(allowed.stdout).toContain('put=ok');
    const denied = await boto3Put(pod, moto.endpoint, 'other-bucket', 'boto3.txt', 'hello');
    expect(denied.stdout).toContain('put=AccessDenied');
  });

  it('serves the JS SDK default chain', async () => {
    const pod = { credentialsUri: agent.url, tokenFile: writeTokenFile(await tokenFor('s3-access-sa')) };
    const run = await jsClient(pod, 'put', moto.endpoint, 'my-bucket', 'js.txt', 'hello');
    expect(run.stdout).toContain('put=ok');
  });

  it('names the session eks-<cluster>-<pod>-<random> and sends the six standard tags', async () => {
    expect(await callerArn(await tokenFor('s3-access-sa', 'tagged-pod'))).toMatch(
      /:assumed-role\/S3AccessRole\/eks-demo-tagged-pod-[0-9a-f]{12}$/,
    );
    const sent = proxy
      .byAction('AssumeRole')
      .find((r) => r.params.RoleSessionName?.startsWith('eks-demo-tagged-pod-'));
    const tags = Object.fromEntries(
      [1, 2, 3, 4, 5, 6].map((i) => [
        sent?.params[`Tags.member.${i}.Key`],
        sent?.params[`Tags.member.${i}.Value`],
      ]),
    );
    expect(tags).toMatchObject({
      'eks-cluster-name': 'demo',
      'eks-cluster-arn': 'arn:aws:eks:us-east-1:123456789012:cluster/demo',
      'kubernetes-namespace': 'default',
      'kubernetes-service-account': 's3-access-sa',
      'kubernetes-pod-name': 'tagged-pod',
    });
  });

  it('answers 403 NoAssociation without calling STS', async () => {
    const before = proxy.requests.length;
    const { status, body } = await fetchCredentials(await tokenFor('nobody'));
    expect([status, body.code]).toEqual([403, 'NoAssociation']);
    expect(proxy.requests.length).toBe(before);
  });

  it('follows edits of the file: new role, invalid file kept out, removed association refused', async () => {
    const token = await tokenFor('other-sa', 'reload-pod');
    expect(await callerArn(token)).toMatch(/:assumed-role\/OtherRole\//);

    await replaceAssociations(associations({ 's3-access-sa': 'S3AccessRole', 'other-sa': 'S3AccessRole' }));
    await expect
      .poll(() => callerArn(token), { timeout: 10_000, interval: 250 })
      .toMatch(/:assumed-role\/S3AccessRole\//);

    await replaceAssociations('associations:\n  - namespace: default\n    serviceAccount: other-sa\n');
    await expect
      .poll(
        async () =>
          /pod_identity_associations_reloads_total\{result="error"\} [1-9]/.test(await agent.metrics()),
        {
          timeout: 10_000,
        },
      )
      .toBe(true);
    expect(await callerArn(token)).toMatch(/:assumed-role\/S3AccessRole\//);

    await replaceAssociations(associations({ 's3-access-sa': 'S3AccessRole' }));
    await expect
      .poll(async () => (await fetchCredentials(token)).body.code, { timeout: 10_000, interval: 250 })
      .toBe('NoAssociation');
  });

  it('lets an exact service account beat "*"', async () => {
    await replaceAssociations(associations({ '*': 'OtherRole', 's3-access-sa': 'S3AccessRole' }));
    await expect
      .poll(async () => callerArn(await tokenFor('anyone-else', 'wild-pod')), {
        timeout: 10_000,
        interval: 250,
      })
      .toMatch(/:assumed-role\/OtherRole\//);
    expect(await callerArn(await tokenFor('s3-access-sa', 'exact-pod'))).toMatch(
      /:assumed-role\/S3AccessRole\//,
    );
  });
});
