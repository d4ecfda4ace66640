import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createS3Role,
  type MotoServer,
  type MotoSetup,
  motoProblem,
  S3_ROLE_SETUP_ACTIONS,
  setupActionCount,
  startMoto,
} from '../../test-support/moto.js';
import { needs } from '../../test-support/needs.js';

const withMoto = needs(await motoProblem(), 'the moto server tests');

describe.skipIf(!withMoto)('startMoto with IAM enforced after set-up', () => {
  let moto: MotoServer;
  let setup: MotoSetup & { roleArn: string };

  beforeAll(async () => {
    moto = await startMoto({ authActions: S3_ROLE_SETUP_ACTIONS });
    setup = await createS3Role(moto.endpoint);
  });
  afterAll(async () => {
    await moto?.stop();
  });

  const sts = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
    new STSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials, maxAttempts: 1 });

  it('serves on a loopback endpoint and creates the S3 role with an admin key', () => {
    expect(moto.endpoint).toBe(`http://127.0.0.1:${moto.port}`);
    expect(setup.roleArn).toBe('arn:aws:iam::123456789012:role/S3AccessRole');
    expect(setup.accountId).toBe('123456789012');
    expect(setup.accessKeyId).toMatch(/^AKIA/);
  });

  it('accepts the admin key for AssumeRole after set-up', async () => {
    const out = await sts(setup).send(
      new AssumeRoleCommand({
        RoleArn: setup.roleArn,
        RoleSessionName: 'eks-demo-pod-x',
        DurationSeconds: 3600,
      }),
    );
    expect(out.AssumedRoleUser?.Arn).toBe(
      'arn:aws:sts::123456789012:assumed-role/S3AccessRole/eks-demo-pod-x',
    );
  });

  it('refuses a key it never issued once the set-up actions are used up', async () => {
    const error = await sts({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' })
      .send(new GetCallerIdentityCommand({}))
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('InvalidClientTokenId');
  });
});

describe('moto helpers', () => {
  it('counts the unauthenticated set-up actions a spec needs', () => {
    expect(setupActionCount({ roles: [{ name: 'R', buckets: ['b'] }], buckets: ['b', 'c'] })).toBe(
      S3_ROLE_SETUP_ACTIONS,
    );
    expect(setupActionCount({})).toBe(3);
  });

  it('stops the server so its port refuses connections', async () => {
    const moto = await startMoto();
    await moto.stop();
    await moto.stop();
    const error = await fetch(`${moto.endpoint}/moto-api/data.json`).catch((e: unknown) => e);
    expect((error as { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
  });

  it('refuses a negative authActions', async () => {
    await expect(startMoto({ authActions: -1 })).rejects.toThrow('authActions');
  });
});
