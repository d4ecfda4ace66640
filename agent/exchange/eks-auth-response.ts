import { AgentError } from '../errors.js';
import type { CredentialExchanger, RoleCredentials } from './credential-exchanger.js';
import type { AssumeRoleForPodIdentityCommandOutput } from './eks-auth-client.js';

const ASSUMED_ROLE_ARN = /^arn:([a-z-]+):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/[\w+=,.@-]+$/;
const ROLE_ARN = /^arn:([a-z-]+):iam::(\d{12}):role\/(?:[\w+=,.@/-]+\/)?[\w+=,.@-]+$/;

/** The account and IAM role behind an ARN EKS Auth returns; undefined when it is neither form. */
export function parseRoleArn(arn: string): { accountId: string; roleArn: string } | undefined {
  const assumed = ASSUMED_ROLE_ARN.exec(arn);
  // The assumed-role ARN drops any IAM path: the role ARN is rebuilt without one.
  if (assumed)
    return {
      accountId: assumed[2] as string,
      roleArn: `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}`,
    };
  const role = ROLE_ARN.exec(arn);
  return role ? { accountId: role[2] as string, roleArn: arn } : undefined;
}

/** Marks an answer that is not what the EKS Auth model promises (outcome `error`, retryable). */
export class MalformedResponseError extends AgentError {
  constructor(field: string) {
    super('UpstreamUnavailable', { retryable: true, cause: new Error(`EKS Auth response: bad ${field}`) });
  }
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new MalformedResponseError(field);
  return value;
}

/**
 * Maps an `AssumeRoleForPodIdentity` answer to {@link RoleCredentials}. A missing or malformed field
 * throws {@link MalformedResponseError} (`UpstreamUnavailable`, retryable): the next attempt may
 * reach a healthy server.
 */
export function fromEksAuthResponse(output: AssumeRoleForPodIdentityCommandOutput): RoleCredentials {
  const creds = output.credentials;
  if (creds === undefined) throw new MalformedResponseError('credentials');
  const expiration = creds.expiration?.getTime();
  if (expiration === undefined || !Number.isFinite(expiration))
    throw new MalformedResponseError('credentials.expiration');
  const role = parseRoleArn(text(output.assumedRoleUser?.arn, 'assumedRoleUser.arn'));
  if (role === undefined) throw new MalformedResponseError('assumedRoleUser.arn');
  return {
    accessKeyId: text(creds.accessKeyId, 'credentials.accessKeyId'),
    secretAccessKey: text(creds.secretAccessKey, 'credentials.secretAccessKey'),
    sessionToken: text(creds.sessionToken, 'credentials.sessionToken'),
    accountId: role.accountId,
    roleArn: role.roleArn,
    expiration,
  };
}

/** The API name the EKS Auth exchanger reports in metrics and logs. */
export const EKS_AUTH_API: CredentialExchanger['api'] = 'AssumeRoleForPodIdentity';
