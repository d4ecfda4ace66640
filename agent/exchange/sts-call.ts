import type { Credentials } from '@aws-sdk/client-sts';
import { AgentError, type AgentErrorCode } from '../errors.js';
import type { RoleCredentials } from './credential-exchanger.js';
import { fromStsError } from './sts-errors.js';
import {
  type ClassifiedError,
  callUpstream,
  type UpstreamCallDeps,
  type UpstreamOutcome,
} from './upstream-call.js';

const OUTCOME: Readonly<Partial<Record<AgentErrorCode, UpstreamOutcome>>> = {
  AccessDenied: 'denied',
  Throttled: 'throttled',
  UpstreamUnavailable: 'unavailable',
};

/** An STS failure as the agent answers it (see `fromStsError`), and its metric outcome. */
function classifyStsError(thrown: unknown): ClassifiedError {
  const error = fromStsError(thrown);
  return { error, outcome: OUTCOME[error.code] ?? 'error' };
}

/**
 * Runs one STS operation through {@link callUpstream}: retried when retryable, every attempt counted
 * and timed under `api` (`AssumeRole`, `AssumeRoleWithWebIdentity`), failures mapped by `fromStsError`.
 */
export function callSts<T>(
  api: string,
  deps: UpstreamCallDeps,
  signal: AbortSignal | undefined,
  attempt: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  return callUpstream({ api, classify: classifyStsError, attempt }, deps, signal);
}

/**
 * Maps STS's `Credentials` + `AssumedRoleUser` to {@link RoleCredentials}; the account comes from the
 * assumed-role ARN (`arn:aws:sts::<account>:assumed-role/<role>/<session>`).
 */
export function toRoleCredentials(
  output: {
    Credentials?: Credentials | undefined;
    AssumedRoleUser?: { Arn?: string | undefined } | undefined;
  },
  roleArn: string,
): RoleCredentials {
  const c = output.Credentials;
  const accountId = output.AssumedRoleUser?.Arn?.split(':')[4];
  if (
    !c?.AccessKeyId ||
    !c.SecretAccessKey ||
    !c.SessionToken ||
    !(c.Expiration instanceof Date) ||
    Number.isNaN(c.Expiration.getTime()) ||
    accountId === undefined ||
    !/^\d{12}$/.test(accountId)
  )
    throw new AgentError('UpstreamUnavailable', {
      retryable: true,
      cause: new Error('STS answered without complete credentials or assumed-role ARN'),
    });
  return Object.freeze({
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    accountId,
    roleArn,
    expiration: c.Expiration.getTime(),
  });
}
