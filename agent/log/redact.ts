/**
 * Scrubbing of secrets from anything that may be logged (docs/security.md threat 8). Tokens, secret keys
 * and session tokens must never reach a log line, including inside SDK error objects, whose messages
 * and metadata are not under our control.
 */

/** A JWT or JWS: three base64url segments, the first starting with `eyJ` (`{"`). */
const JWT = /eyJ[\w-]{4,}\.[\w-]*\.[\w-]*/g;
/** Long base64-ish runs: secret access keys (40 chars) and session tokens (hundreds). */
const LONG_SECRET = /[A-Za-z0-9+/=_-]{40,}/g;

/** Secrets mix cases and digits; long lower-case names (pods, deployments) are left alone. */
function redactRun(run: string): string {
  return /[a-z]/.test(run) && /[A-Z]/.test(run) && /\d/.test(run) ? '[REDACTED]' : run;
}

/** Replaces JWTs and long mixed-case base64 runs in `text`. */
export function scrubText(text: string): string {
  // Neither pattern can match a short text without `eyJ`: most messages skip both regular expressions.
  if (text.length < 40 && !text.includes('eyJ')) return text;
  return text.replace(JWT, '[REDACTED]').replace(LONG_SECRET, redactRun);
}

/** Keys whose values are never logged, whatever they hold. */
const SECRET_KEYS = new Set([
  'authorization',
  'token',
  'sessiontoken',
  'secretaccesskey',
  'webidentitytoken',
  'credentials',
  'password',
  'x-amz-security-token',
]);

/**
 * Serializes an error for the log: name, code, status and retryable flag, a scrubbed message and
 * the same for its causes (at most 3 deep). Never the request, the response body or credentials.
 */
export function serializeError(error: unknown, depth = 0): Record<string, unknown> {
  // pino runs `formatters.log` (which serializes errors through `scrubObject`) before its serializers.
  if (!(error instanceof Error)) {
    return typeof error === 'object' && error !== null
      ? (scrubObject(error) as Record<string, unknown>)
      : { value: scrubText(String(error)).slice(0, 200) };
  }
  const e = error as Error & {
    code?: unknown;
    statusCode?: unknown;
    retryable?: unknown;
    $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
  };
  const out: Record<string, unknown> = { type: e.name, message: scrubText(e.message).slice(0, 300) };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  if (typeof e.statusCode === 'number') out.statusCode = e.statusCode;
  if (typeof e.retryable === 'boolean') out.retryable = e.retryable;
  if (e.$metadata?.httpStatusCode !== undefined) out.upstreamStatus = e.$metadata.httpStatusCode;
  if (typeof e.$metadata?.requestId === 'string') out.upstreamRequestId = e.$metadata.requestId;
  if (e.cause !== undefined && depth < 3) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

/** Keys whose values are ours or verified claims (Kubernetes names, ARNs, key ids): logged as they are. */
const SAFE_KEYS = new Set([
  'namespace',
  'serviceAccount',
  'podName',
  'podUid',
  'roleArn',
  'accessKeyId',
  'expiration',
  'cache',
  'reqId',
  'code',
  'statusCode',
  'tokenHash',
]);

/** True when every field is a safe key with a scalar value: such an object is logged as it is. */
function isAllSafe(value: object): boolean {
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const v = (value as Record<string, unknown>)[key];
    if (!SAFE_KEYS.has(key) || (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean'))
      return false;
  }
  return true;
}

/**
 * Copies a log object, dropping secret keys and scrubbing strings. Used for every log line; the audit
 * line of each issuance holds safe keys only and is passed through without a copy (the hit path).
 */
export function scrubObject(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value instanceof Error) return serializeError(value);
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  if (Array.isArray(value)) return value.map((v) => scrubObject(v, depth + 1));
  if (isAllSafe(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = SECRET_KEYS.has(key.toLowerCase())
      ? '[REDACTED]'
      : SAFE_KEYS.has(key) && typeof v === 'string'
        ? v
        : scrubObject(v, depth + 1);
  }
  return out;
}
