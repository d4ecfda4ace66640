import { AgentError, isAgentError } from '../errors.js';

/** STS error codes that mean "this role will not be given to this caller": retrying will not help. */
const DENIED = new Set([
  'AccessDenied',
  'InvalidIdentityToken',
  'ExpiredToken',
  'IDPRejectedClaim',
  'MalformedPolicyDocument',
  'PackedPolicyTooLarge',
  'RegionDisabled',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ValidationError',
  'InvalidParameterValue',
  'InvalidAuthorizationMessage',
  'JWTPayloadSizeExceeded',
  'SessionDurationEscalation',
]);
const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'PriorRequestNotComplete',
]);
/** STS asks the identity provider for its keys: a failure there is temporary. */
const UNAVAILABLE = new Set([
  'IDPCommunicationError',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalError',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * Maps anything an STS call threw to an `AgentError` (docs/api.md): denials are `AccessDenied`
 * (not retryable), throttling is `Throttled` (retryable), 5xx, network failures, timeouts and
 * missing agent credentials are `UpstreamUnavailable` (retryable). The original error is kept only
 * as `cause`; its text never reaches a client.
 */
export function fromStsError(error: unknown): AgentError {
  if (isAgentError(error)) return error;
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = typeof shape.name === 'string' ? shape.name.replace(/Exception$/, '') : '';
  const status = typeof shape.$metadata?.httpStatusCode === 'number' ? shape.$metadata.httpStatusCode : 0;
  if (THROTTLED.has(name) || THROTTLED.has(`${name}Exception`) || status === 429)
    return new AgentError('Throttled', { cause: error, retryable: true });
  if (UNAVAILABLE.has(name) || status >= 500)
    return new AgentError('UpstreamUnavailable', { cause: error, retryable: true });
  if (DENIED.has(name) || (status >= 400 && status < 500))
    return new AgentError('AccessDenied', { cause: error, retryable: false });
  // No HTTP answer at all: refused/reset connections, DNS, timeouts, aborts, or the agent's own
  // credential chain failing (CredentialsProviderError). All may pass.
  return new AgentError('UpstreamUnavailable', { cause: error, retryable: true });
}
