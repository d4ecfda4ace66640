/**
 * The agent's one error model (the error table in docs/api.md). Every failure that can reach a client is an
 * {@link AgentError} with a fixed code, HTTP status and safe message; upstream text and tokens never
 * appear in the message (they may sit in `cause`, which the logger redacts).
 */

/** Every error code the agent answers with. */
export type AgentErrorCode =
  | 'MissingToken'
  | 'MalformedToken'
  | 'InvalidToken'
  | 'ExpiredToken'
  | 'TokenNotBound'
  | 'InvalidHost'
  | 'NoAssociation'
  | 'AccessDenied'
  | 'Throttled'
  | 'UpstreamUnavailable'
  | 'InternalError'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'InvalidRequest'
  | 'PayloadTooLarge'
  | 'HeadersTooLarge';

interface CodeInfo {
  readonly statusCode: number;
  readonly message: string;
}

/** Status and fixed message per code. */
export const ERROR_TABLE: Readonly<Record<AgentErrorCode, CodeInfo>> = Object.freeze({
  MissingToken: {
    statusCode: 401,
    message:
      "The Authorization header with the pod service-account token is missing: the SDK sends it when AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE names the pod's projected token file.",
  },
  MalformedToken: { statusCode: 400, message: 'The Authorization header is not a raw service-account JWT.' },
  InvalidToken: {
    statusCode: 401,
    message:
      "The service-account token failed verification: send the pod's own projected token for this cluster and audience, unchanged.",
  },
  ExpiredToken: {
    statusCode: 401,
    message:
      'The service-account token is expired or not yet valid: read the projected token file on every fetch (kubelet renews it) and check the node clock.',
  },
  TokenNotBound: {
    statusCode: 403,
    message: 'The service-account token is not bound to a live pod on this node.',
  },
  InvalidHost: { statusCode: 403, message: 'The Host header does not name an address this agent serves.' },
  NoAssociation: {
    statusCode: 403,
    message:
      'No role is associated with this service account: add a pod identity association for its namespace and service account.',
  },
  AccessDenied: {
    statusCode: 403,
    message:
      'The credential service denied the request for this service account: check that a pod identity association exists for its namespace and service account and that the role trusts pods.eks.amazonaws.com.',
  },
  Throttled: {
    statusCode: 429,
    message:
      "Too many requests; retry later. The credential service or the agent's per-pod rate limit throttled this request.",
  },
  UpstreamUnavailable: {
    statusCode: 503,
    message: "The credential service is unavailable; retry later. The agent's log on this node says why.",
  },
  InternalError: { statusCode: 500, message: 'Internal error.' },
  NotFound: { statusCode: 404, message: 'Not found. The credentials path is /v1/credentials.' },
  MethodNotAllowed: { statusCode: 405, message: 'Only GET and HEAD are allowed.' },
  InvalidRequest: { statusCode: 400, message: 'The request must be a GET without a body.' },
  PayloadTooLarge: { statusCode: 413, message: 'Request bodies are not accepted.' },
  HeadersTooLarge: { statusCode: 431, message: 'The request header section is too large.' },
});

/** Options of {@link AgentError}. */
export interface AgentErrorOptions {
  /** The underlying error; logged (redacted), never sent. */
  readonly cause?: unknown;
  /** For upstream failures: whether trying again may succeed. Retry, caching and stale-serving read only this. */
  readonly retryable?: boolean;
  /** Replaces the fixed message; only for fixed, non-secret text (e.g. the `Bearer ` hint). */
  readonly message?: string;
}

/** An error the agent can answer with. */
export class AgentError extends Error {
  override readonly name = 'AgentError';
  readonly code: AgentErrorCode;
  readonly statusCode: number;
  readonly retryable: boolean;

  constructor(code: AgentErrorCode, options: AgentErrorOptions = {}) {
    const info = ERROR_TABLE[code];
    super(
      options.message ?? info.message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.statusCode = info.statusCode;
    this.retryable = options.retryable ?? false;
  }
}

/** Type guard for {@link AgentError}. */
export function isAgentError(value: unknown): value is AgentError {
  return value instanceof AgentError;
}

/**
 * The JSON error body every listener answers with, `{"code","message"}` (bytes, so the content type
 * stays exactly `application/json`).
 */
export function errorBody(code: AgentErrorCode, message: string): Buffer {
  return Buffer.from(JSON.stringify({ code, message }));
}

/** An error in the configuration: every problem found, one per line in `problems`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('; '));
    this.problems = problems;
  }
}
