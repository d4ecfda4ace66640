import { AgentError, isAgentError } from '../errors.js';
import { MalformedResponseError } from './eks-auth-response.js';
import type { ClassifiedError as UpstreamFailure, UpstreamOutcome } from './upstream-call.js';
import type { UpstreamProblem } from './upstream-health.js';

/**
 * Why a call failed, when it is one of the causes an operator must tell apart: the first three
 * affect every pod of the node, the last one pod's service account.
 */
export type FailureReason = UpstreamProblem | 'no-association';

/** A classified EKS Auth failure: what to throw, how to count it, and its cause when known. */
export interface ClassifiedError extends UpstreamFailure {
  readonly reason?: FailureReason | undefined;
}

/** EKS Auth refused the signature or the caller: the node's own credentials, not the pod's token. */
const NODE_REFUSED = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationTokenException',
]);

/** Fixed messages of the causes (sent to the pod, so no upstream text and no names). */
const MESSAGES: Readonly<Record<FailureReason, string>> = {
  'cluster-not-found':
    "EKS Auth does not know this agent's cluster: check the agent's --cluster-name and --region.",
  'node-credentials-missing': 'The agent has no AWS credentials of its own to call EKS Auth (the node role).',
  'node-credentials-refused':
    "EKS Auth refused the agent's own AWS credentials (the node role needs eks-auth:AssumeRoleForPodIdentity).",
  'no-association': 'No Pod Identity association in EKS for this service account.',
};

/** The caller or the token is refused: retrying cannot help. */
const DENIED = new Set([
  'AccessDenied',
  'InvalidTokenException',
  'ExpiredTokenException',
  'InvalidParameterException',
  'InvalidRequestException',
  'ResourceNotFoundException',
]);
const THROTTLED = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException']);
const UNAVAILABLE = new Set([
  'InternalServerException',
  'ServiceUnavailableException',
  'InternalFailure',
  'ServiceUnavailable',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
]);
/** Socket and DNS failures: the next attempt may reach another host or a recovered one. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EPROTO',
]);

function field(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
}

function httpStatus(error: unknown): number | undefined {
  const status = field(field(error, '$metadata'), 'httpStatusCode');
  return typeof status === 'number' ? status : undefined;
}

/**
 * Maps anything `EksAuthClient.send` (or `fromEksAuthResponse`) throws to an `AgentError` (the error
 * table in docs/api.md) with `retryable` set, and a metrics outcome. The original error becomes the `cause`:
 * its message is the error type, never the token or upstream text.
 */
export function classifyEksAuthError(error: unknown): ClassifiedError {
  if (error instanceof MalformedResponseError) return { error, outcome: 'error' };
  if (isAgentError(error)) return { error, outcome: outcomeOf(error) };
  const name = field(error, 'name');
  const code = field(error, 'code');
  const status = httpStatus(error);
  const cause = { cause: error };
  if (name === 'CredentialsProviderError')
    return {
      error: new AgentError('UpstreamUnavailable', {
        ...cause,
        retryable: true,
        message: MESSAGES['node-credentials-missing'],
      }),
      outcome: 'unavailable',
      reason: 'node-credentials-missing',
    };
  if (typeof name === 'string' && NODE_REFUSED.has(name)) return denied(error, 'node-credentials-refused');
  if (name === 'ResourceNotFoundException') {
    const notFound = field(error, 'notFound');
    // Both stay 403 AccessDenied, as EKS Auth's refusals always were; the message tells them apart.
    if (notFound === 'association') return denied(error, 'no-association');
    if (notFound === 'cluster') return denied(error, 'cluster-not-found');
  }
  if (typeof name === 'string' && DENIED.has(name))
    return { error: new AgentError('AccessDenied', { ...cause, retryable: false }), outcome: 'denied' };
  if ((typeof name === 'string' && THROTTLED.has(name)) || status === 429)
    return { error: new AgentError('Throttled', { ...cause, retryable: true }), outcome: 'throttled' };
  if (
    (typeof name === 'string' && UNAVAILABLE.has(name)) ||
    (status !== undefined && status >= 500) ||
    (typeof code === 'string' && NETWORK_CODES.has(code))
  )
    return {
      error: new AgentError('UpstreamUnavailable', { ...cause, retryable: true }),
      outcome: 'unavailable',
    };
  // An unknown 4xx (e.g. UnrecognizedClientException for bad node credentials) will not heal by retrying.
  if (status !== undefined && status >= 400)
    return { error: new AgentError('AccessDenied', { ...cause, retryable: false }), outcome: 'denied' };
  return { error: new AgentError('UpstreamUnavailable', { ...cause, retryable: false }), outcome: 'error' };
}

function denied(error: unknown, reason: FailureReason): ClassifiedError {
  return {
    error: new AgentError('AccessDenied', { cause: error, retryable: false, message: MESSAGES[reason] }),
    outcome: 'denied',
    reason,
  };
}

function outcomeOf(error: AgentError): UpstreamOutcome {
  if (error.code === 'AccessDenied') return 'denied';
  if (error.code === 'Throttled') return 'throttled';
  if (error.code === 'UpstreamUnavailable') return 'unavailable';
  return 'error';
}
