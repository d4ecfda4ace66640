import type {
  AssumeRoleCommandInput,
  AssumeRoleCommandOutput,
  AssumeRoleWithWebIdentityCommandInput,
  AssumeRoleWithWebIdentityCommandOutput,
} from '@aws-sdk/client-sts';
import type { StsApi } from '../../agent/exchange/sts-client.js';

export const EPOCH = 1_790_000_000_000;

/** A recorded call to the fake STS. */
export interface StsCall {
  readonly op: 'AssumeRole' | 'AssumeRoleWithWebIdentity';
  readonly input: AssumeRoleCommandInput | AssumeRoleWithWebIdentityCommandInput;
  readonly signer: string;
}

/** A hand-written STS: answers from a script of results, records every call. */
export class FakeSts implements StsApi {
  readonly calls: StsCall[];
  readonly failures: unknown[];
  readonly signer: string;
  destroyed = 0;

  constructor(signer = 'agent', calls: StsCall[] = [], failures: unknown[] = []) {
    this.signer = signer;
    this.calls = calls;
    this.failures = failures;
  }

  private answer(input: { RoleArn: string | undefined; RoleSessionName: string | undefined }) {
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    const role = input.RoleArn?.split('/').pop();
    const account = input.RoleArn?.split(':')[4];
    return {
      Credentials: {
        AccessKeyId: `ASIA${role?.toUpperCase()}`,
        SecretAccessKey: `secret-of-${role}`,
        SessionToken: `token-of-${role}`,
        Expiration: new Date(EPOCH + 3_600_000),
      },
      AssumedRoleUser: {
        Arn: `arn:aws:sts::${account}:assumed-role/${role}/${input.RoleSessionName}`,
        AssumedRoleId: 'AROAEXAMPLE',
      },
      $metadata: {},
    };
  }

  async assumeRole(input: AssumeRoleCommandInput): Promise<AssumeRoleCommandOutput> {
    this.calls.push({ op: 'AssumeRole', input, signer: this.signer });
    return this.answer(input);
  }

  async assumeRoleWithWebIdentity(
    input: AssumeRoleWithWebIdentityCommandInput,
  ): Promise<AssumeRoleWithWebIdentityCommandOutput> {
    this.calls.push({ op: 'AssumeRoleWithWebIdentity', input, signer: this.signer });
    return this.answer(input);
  }

  destroy(): void {
    this.destroyed++;
  }
}
