import { createHash } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors } from 'jose';
import { LRUCache } from 'lru-cache';
import { ALLOWED_ALGORITHMS } from '../checks/jwks.js';
import { checkInteger } from '../checks/option-checks.js';
import type { Clock } from '../clock.js';
import { AgentError, type AgentErrorCode, isAgentError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { toPodIdentity } from './claims.js';
import { fromJoseError } from './jose-errors.js';
import type { TokenKeySet } from './key-set.js';
import { checkRawToken } from './raw-token.js';
import type { TokenVerifier, VerifiedToken } from './token-verifier.js';
import { verifyJwt } from './verify-jwt.js';

/** Default clock leeway on `exp`/`nbf`, seconds (docs/security.md threat 10). */
export const DEFAULT_LEEWAY_SECONDS = 60;
/** Default bound on memoized verified tokens. */
export const DEFAULT_MEMO_SIZE = 10_000;
/** Default time a rejected token hash is answered from the negative cache, milliseconds. */
export const DEFAULT_NEGATIVE_TTL_MS = 60_000;
/** Default bound on remembered rejected token hashes. */
export const DEFAULT_NEGATIVE_SIZE = 10_000;
/** Audiences of the API server: a token for them is never accepted here (docs/security.md threat 1). */
export const API_SERVER_AUDIENCES = Object.freeze([
  'https://kubernetes.default.svc',
  'https://kubernetes.default.svc.cluster.local',
]);

/** Options of {@link createJwtVerifier}. */
export interface JwtVerifierOptions {
  readonly keySet: TokenKeySet;
  /** Exact expected `iss`. Undefined: the issuer the key set discovered (Kubernetes key source). */
  readonly issuer: string | undefined;
  /** Exact audience that must be in `aud`. */
  readonly audience: string;
  readonly clock: Clock;
  readonly metrics: Pick<Metrics, 'tokenValidations'>;
  /** Leeway on `exp` and `nbf`, seconds. Default {@link DEFAULT_LEEWAY_SECONDS}. */
  readonly leewaySeconds?: number | undefined;
  /** Most verified tokens memoized. Default {@link DEFAULT_MEMO_SIZE}. */
  readonly memoSize?: number | undefined;
  /** Milliseconds a rejected token is refused without a signature check. Default {@link DEFAULT_NEGATIVE_TTL_MS}. */
  readonly negativeTtlMs?: number | undefined;
  /** Most rejected token hashes remembered. Default {@link DEFAULT_NEGATIVE_SIZE}. */
  readonly negativeSize?: number | undefined;
  /** This node's name: tokens whose node claim names another node are `TokenNotBound` (threat 3). */
  readonly nodeName?: string | undefined;
}

/**
 * Characters at the end of a token that key its memo entry: part of its signature, which differs
 * between any two tokens. Hashing them, not the whole ~1 KB token, is most of what a memo lookup
 * saves on a cache hit; the entry's full token is then compared, so a token sharing them with
 * another is a memo miss and is verified in full.
 */
const MEMO_KEY_CHARS = 43;

/** The memo key of `token`: see {@link MEMO_KEY_CHARS}. */
const memoKey = (token: string): string =>
  token.length > MEMO_KEY_CHARS ? token.slice(-MEMO_KEY_CHARS) : token;

interface MemoEntry {
  readonly verified: VerifiedToken;
  /** `exp` + leeway, milliseconds. */
  readonly usableUntil: number;
  /** Key set generation the signature was checked against. */
  readonly generation: number;
}

interface Rejection {
  readonly code: AgentErrorCode;
  readonly until: number;
}

const RESULT: Partial<Record<AgentErrorCode, string>> = {
  MissingToken: 'missing',
  MalformedToken: 'malformed',
  InvalidToken: 'invalid',
  ExpiredToken: 'expired',
  TokenNotBound: 'not_bound',
};

/**
 * Creates the token verifier (docs/security.md threats 1, 3, 9, 10). Order: memo of verified tokens,
 * keyed by the token (no check on repeat, still refused after `exp` + leeway), raw header checks,
 * SHA-256, negative cache of rejected hashes, then `verifyJwt` (jose's `jwtVerify` with the signature
 * checked on node:crypto) with the allowed algorithms, exact issuer
 * and audience, leeway and the injected clock, then the `kubernetes.io` claims and node binding.
 * Every call counts once in `tokenValidations{result}` (`valid`, `memo_hit`, `invalid`, `expired`,
 * `malformed`, `missing`, `not_bound`, `negative_hit`, `coalesced` (joined a check of the same token
 * already under way), and `unavailable` while no keys or issuer are
 * known, answered `UpstreamUnavailable`); with `nodeName` set, a verified token without
 * a node claim also counts `no_node_claim`.
 */
export function createJwtVerifier(options: JwtVerifierOptions): TokenVerifier {
  const { keySet, audience, clock, metrics, nodeName } = options;
  const leewaySeconds = checkInteger('leewaySeconds', options.leewaySeconds ?? DEFAULT_LEEWAY_SECONDS, 0);
  const negativeTtlMs = checkInteger('negativeTtlMs', options.negativeTtlMs ?? DEFAULT_NEGATIVE_TTL_MS, 0);
  if (typeof audience !== 'string' || audience.length === 0) throw new Error('"audience" must not be empty');
  if (API_SERVER_AUDIENCES.includes(audience) || audience === options.issuer)
    throw new Error('"audience" must not be an audience of the Kubernetes API server');
  if (options.issuer !== undefined && options.issuer.length === 0)
    throw new Error('"issuer" must not be empty');
  const memo = new LRUCache<string, MemoEntry>({
    max: checkInteger('memoSize', options.memoSize ?? DEFAULT_MEMO_SIZE),
  });
  /** The memo entry of exactly `header`, if any. */
  const memoOf = (header: string | undefined): MemoEntry | undefined => {
    if (header === undefined) return undefined;
    const entry = memo.get(memoKey(header));
    return entry?.verified.token === header ? entry : undefined;
  };
  const rejected = new LRUCache<string, Rejection>({
    max: checkInteger('negativeSize', options.negativeSize ?? DEFAULT_NEGATIVE_SIZE),
  });
  /** Signature checks under way, by token hash (bounded by concurrent distinct tokens). */
  const inFlight = new Map<string, Promise<VerifiedToken>>();
  const count = (result: string) => metrics.tokenValidations.inc({ result });
  // The hit path's result, counted with a tally: no label object or hashing per request.
  const memoHits = metrics.tokenValidations.tally({ result: 'memo_hit' });
  const issuer = () => options.issuer ?? keySet.issuer();

  const fail = (code: AgentErrorCode, tokenHash?: string, cause?: unknown): never => {
    if (tokenHash !== undefined && negativeTtlMs > 0)
      rejected.set(tokenHash, { code, until: clock.now() + negativeTtlMs });
    count(RESULT[code] ?? 'invalid');
    throw new AgentError(code, cause === undefined ? {} : { cause });
  };

  // No keys or issuer yet: the client should retry later, not be told its token is bad.
  const unavailable = (cause: unknown): AgentError => {
    count('unavailable');
    return new AgentError('UpstreamUnavailable', { retryable: true, cause });
  };

  const verifySignature = async (token: string, tokenHash: string): Promise<VerifiedToken> => {
    const expected = issuer();
    if (expected === undefined)
      throw unavailable(
        new Error('the token issuer is not known yet (key source discovery has not succeeded)'),
      );
    // The API server's own tokens carry its issuer as audience: once discovery names an issuer equal
    // to --audience, every token of that audience could be an API-server token (security.md threat 1).
    if (expected === audience)
      return fail('InvalidToken', undefined, new Error('"audience" equals the discovered issuer'));
    try {
      decodeProtectedHeader(token);
      decodeJwt(token);
    } catch (cause) {
      count('malformed');
      throw new AgentError('MalformedToken', { cause });
    }
    const generation = keySet.generation();
    let identity: VerifiedToken['identity'];
    let aud: unknown;
    try {
      const { payload } = await verifyJwt(token, (header, input) => keySet.getKey(header, input), {
        algorithms: ALLOWED_ALGORITHMS,
        issuer: expected,
        audience,
        clockTolerance: leewaySeconds,
        currentDate: new Date(clock.now()),
        requiredClaims: ['exp', 'iat', 'sub'],
      });
      aud = payload.aud;
      identity = toPodIdentity(payload, (payload.exp as number) * 1000);
    } catch (error) {
      if (isAgentError(error)) return fail(error.code, tokenHash, error.cause);
      if (!(error instanceof joseErrors.JOSEError)) throw error;
      if (!keySet.isLoaded()) throw unavailable(error);
      const { code, cacheable } = fromJoseError(error);
      return fail(code, cacheable ? tokenHash : undefined, error);
    }
    // jose accepts `aud` when it includes ours; a token meant for us and for another audience too
    // could be replayed there, or came from there: only ours, alone, is accepted.
    if (Array.isArray(aud) ? aud.length !== 1 : aud !== audience)
      return fail('InvalidToken', tokenHash, new Error('the token has audiences besides ours'));
    if (nodeName !== undefined && identity.nodeName !== undefined && identity.nodeName !== nodeName)
      return fail('TokenNotBound', tokenHash, new Error('token is bound to another node'));
    if (nodeName !== undefined && identity.nodeName === undefined) count('no_node_claim');
    const verified: VerifiedToken = { identity, token, tokenHash };
    memo.set(memoKey(token), {
      verified,
      usableUntil: identity.tokenExpiresAt + leewaySeconds * 1000,
      generation,
    });
    count('valid');
    return verified;
  };

  return {
    isReady: () => keySet.isLoaded() && issuer() !== undefined && issuer() !== audience,
    memoized(header: string | undefined): VerifiedToken | undefined {
      const hit = memoOf(header);
      if (hit === undefined || clock.now() >= hit.usableUntil || hit.generation !== keySet.generation())
        return undefined;
      memoHits.inc();
      return hit.verified;
    },
    async verify(header: string | undefined): Promise<VerifiedToken> {
      // The memo holds tokens that passed the raw checks when they were stored: a repeat skips those
      // regular expressions and the SHA-256 (most of a hit's cost, measured in docs/performance.md).
      const hit = memoOf(header);
      if (hit !== undefined) {
        if (clock.now() >= hit.usableUntil) {
          memo.delete(memoKey(hit.verified.token));
          return fail('ExpiredToken', hit.verified.tokenHash);
        }
        if (hit.generation === keySet.generation()) {
          count('memo_hit');
          return hit.verified;
        }
        memo.delete(memoKey(hit.verified.token)); // the keys changed: check the signature again
      }
      let token: string;
      try {
        token = checkRawToken(header);
      } catch (error) {
        if (isAgentError(error)) count(RESULT[error.code] ?? 'malformed');
        throw error;
      }
      const tokenHash = createHash('sha256').update(token).digest('hex');
      const now = clock.now();
      const rejection = rejected.get(tokenHash);
      if (rejection !== undefined) {
        if (now < rejection.until) {
          count('negative_hit');
          throw new AgentError(rejection.code);
        }
        rejected.delete(tokenHash);
      }
      // Concurrent requests with the same token share one check: without this, a burst of one
      // forged token would all miss the negative cache and each cost a signature check (threat 9).
      const pending = inFlight.get(tokenHash);
      if (pending !== undefined) {
        count('coalesced');
        return pending;
      }
      const check = verifySignature(token, tokenHash).finally(() => inFlight.delete(tokenHash));
      inFlight.set(tokenHash, check);
      return check;
    },
  };
}
