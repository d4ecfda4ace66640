import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const withMoto = needs(await motoProblem(), 'the sts-web-identity agent tests against moto');

const ISSUER = 'https://issuer.example';
const AUDIENCE = 'sts.amazonaws.com';
const REGION = 'us-east-1';
const SPEC = {
  roles: [{ name: 'S3AccessRole', buckets: ['my-bucket'] }],
  buckets: ['my-bucket', 'other-bucket'],
};

describe.skipIf(!withMoto)('agent with --exchange sts-web-identity against moto (IAM enforced)', () => {
  let moto: MotoServer;
  let setup: MotoSetup;
  let proxy: RecordingProxy;
  let keys: ClusterKeys;
  let agent: AgentProcess;
  const issued = new Set<string>();

  const tokenFor = async (serviceAccount: string) => {
    const token = await keys.mintToken({
      issuer: ISSUER,
      audience: AUDIENCE,
      namespace: 'default',
      serviceAccount,
      podName: 'web-pod',
    });
    issued.add(token);
    return token;
  };

  beforeAll(async () => {
    moto = await startMoto({ authActions: setupActionCount(SPEC) });
    setup = await setupMoto(moto.endpoint, SPEC);
    // moto cannot take an unsigned AssumeRoleWithWebIdentity with IAM on: the proxy plays STS's
    // token check (only tokens this test minted) and signs the call for moto.
    proxy = await startRecordingProxy(moto.endpoint, {
      webIdentity: {
        verify: (token) => issued.has(token),
        signer: { accessKeyId: setup.accessKeyId, secretAccessKey: setup.secretAccessKey, region: REGION },
      },
    });
    keys = await createClusterKeys();
    const dir = await mkdtemp(join(tmpdir(), 'sts-web-'));
    const associations = join(dir, 'associations.json');
    await writeFile(
      associations,
      JSON.stringify({
        associations: [
          { namespace: 'default', serviceAccount: 's3-access-sa', roleArn: setup.roles.S3AccessRole },
        ],
      }),
    );
    agent = await startAgent({
      args: [
        ...['--exchange', 'sts-web-identity', '--cluster-name', 'demo', '--region', REGION],
        ...['--sts-endpoint', proxy.endpoint, '--allow-plain-http', '--associations', associations],
        ...['--issuer', ISSUER, '--audience', AUDIENCE, '--jwks-file', await keys.writeJwksFile(dir)],
      ],
      // No AWS credentials at all: the web identity call needs none.
      env: { AWS_REGION: REGION },
    });
  });
  afterAll(async () => {
    await agent?.stop();
    await proxy?.close();
    await moto?.stop();
  });

  it('serves boto3 and the JS SDK with the pod token sent to STS, unsigned', async () => {
    const token = await tokenFor('s3-access-sa');
    const pod = { credentialsUri: agent.url, tokenFile: writeTokenFile(token) };
    const allowed = await boto3Put(pod, moto.endpoint, 'my-bucket', 'web.txt', 'hello');
    expect(allowed.stdout).toContain('put=ok');
    const denied = await boto3Put(pod, moto.endpoint, 'other-bucket', 'web.txt', 'hello');
    expect(denied.stdout).toContain('put=AccessDenied');
    expect((await jsClient(pod, 'put', moto.endpoint, 'my-bucket', 'web-js.txt', 'hi')).stdout).toContain(
      'put=ok',
    );
    const sent = proxy.byAction('AssumeRoleWithWebIdentity');
    expect(sent[0]?.params.WebIdentityToken).toBe(token);
    expect(sent[0]?.params.RoleSessionName).toMatch(/^eks-demo-web-pod-[0-9a-f]{12}$/);
    expect(sent[0]?.headers.authorization).toBeUndefined();
  });

  it('answers 403 NoAssociation without calling STS', async () => {
    const before = proxy.requests.length;
    const response = await fetch(agent.url, { headers: { authorization: await tokenFor('nobody') } });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe('NoAssociation');
    expect(proxy.requests.length).toBe(before);
  });
});
