/**
 * How the EKS Auth stand-in turns a pod identity into role credentials: `sts` calls STS AssumeRole
 * (moto) with EKS's session name and six session tags (docs/any-cluster.md); `local` invents credentials
 * (benchmarks, no moto needed).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AssumeRoleCommand, type AssumeRoleCommandOutput, STSClient } from '@aws-sdk/client-sts';

/** The pod the credentials are for. */
export interface MintRequest {
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly podName: string;
  readonly podUid: string;
  readonly roleArn: string;
  /** Seconds. */
  readonly lifetimeSeconds: number;
  /** Milliseconds since the epoch (local minting only). */
  readonly now: number;
}

/** What EKS Auth puts in `assumedRoleUser` and `credentials`. */
export interface MintedSession {
  readonly sessionName: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly assumedRoleArn: string;
  readonly assumeRoleId: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Milliseconds since the epoch. */
  readonly expiration: number;
}

/** A failure with the EKS Auth error type to answer. */
export class MintError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
  ) {
    super(type);
  }
}

/** Mints credentials for one request. */
export type Minter = (request: MintRequest) => Promise<MintedSession>;

/** `eks-<cluster>-<pod>-<uuid>`, in STS's character set and 64-character limit. */
export function sessionNameFor(clusterName: string, podName: string): string {
  return `eks-${clusterName}-${podName}-${randomUUID()}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/** The six tags EKS sets on every pod session. */
export function sessionTagsFor(request: MintRequest): Record<string, string> {
  return {
    'eks-cluster-arn': request.clusterArn,
    'eks-cluster-name': request.clusterName,
    'kubernetes-namespace': request.namespace,
    'kubernetes-service-account': request.serviceAccount,
    'kubernetes-pod-name': request.podName,
    'kubernetes-pod-uid': request.podUid,
  };
}

/** Calls STS AssumeRole at `endpoint` with `credentials` (moto's admin key). */
export function createStsMinter(options: {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}): { mint: Minter; close(): void } {
  const sts = new STSClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: options.credentials,
    maxAttempts: 1,
  });
  const mint: Minter = async (request) => {
    const sessionName = sessionNameFor(request.clusterName, request.podName);
    const tags = sessionTagsFor(request);
    let out: AssumeRoleCommandOutput;
    try {
      out = await sts.send(
        new AssumeRoleCommand({
          RoleArn: request.roleArn,
          RoleSessionName: sessionName,
          DurationSeconds: request.lifetimeSeconds,
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          TransitiveTagKeys: Object.keys(tags),
        }),
      );
    } catch (error) {
      throw toMintError(error);
    }
    const c = out.Credentials;
    const user = out.AssumedRoleUser;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration || !user?.Arn)
      throw new MintError('InternalServerException', 500);
    return {
      sessionName,
      tags,
      assumedRoleArn: user.Arn,
      assumeRoleId: user.AssumedRoleId ?? `AROA:${sessionName}`,
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration.getTime(),
    };
  };
  return { mint, close: () => sts.destroy() };
}

function toMintError(error: unknown): MintError {
  const name = (error as { name?: unknown })?.name;
  if (name === 'Throttling' || name === 'ThrottlingException')
    return new MintError('ThrottlingException', 429);
  if (name === 'AccessDenied' || name === 'AccessDeniedException')
    return new MintError('AccessDeniedException', 400);
  return new MintError('InternalServerException', 500);
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomId(prefix: string, length: number): string {
  const bytes = randomBytes(length);
  return prefix + Array.from(bytes, (b) => ALNUM[b % 32]).join('');
}

/** Invents credentials shaped like STS's, expiring `lifetimeSeconds` after `now`. */
export const localMinter: Minter = async (request) => {
  const sessionName = sessionNameFor(request.clusterName, request.podName);
  const [, partition, , , account, resource] = request.roleArn.split(':');
  const roleName = (resource ?? '').split('/').pop();
  return {
    sessionName,
    tags: sessionTagsFor(request),
    assumedRoleArn: `arn:${partition}:sts::${account}:assumed-role/${roleName}/${sessionName}`,
    assumeRoleId: `${randomId('AROA', 17)}:${sessionName}`,
    accessKeyId: randomId('ASIA', 16),
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: randomBytes(180).toString('base64'),
    expiration: request.now + request.lifetimeSeconds * 1000,
  };
};
