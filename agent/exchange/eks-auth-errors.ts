import { AgentError, isAgentError } from '../errors.js';
import { MalformedResponseError } from './eks-auth-response.js';
import type { ClassifiedError, UpstreamOutcome } from './upstream-call.js';

/** The caller or the token is refused: retrying cannot help. */
const DENIED = new Set([
  'AccessDeniedException',
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
  'CredentialsProviderError',
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

function outcomeOf(error: AgentError): UpstreamOutcome {
  if (error.code === 'AccessDenied') return 'denied';
  if (error.code === 'Throttled') return 'throttled';
  if (error.code === 'UpstreamUnavailable') return 'unavailable';
  return 'error';
}
