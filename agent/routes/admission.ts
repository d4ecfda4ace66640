import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TokenVerifier, VerifiedToken } from '../auth/token-verifier.js';
import { AgentError } from '../errors.js';
import type { PodChecker } from '../pods/pod-checker.js';

/** `scheme://authority/...` request targets (RFC 9112 §3.2.2); group 1 is the authority. */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/;

/** The first of `host`/`authorization` that appears more than once in the raw header list. */
function repeatedHeader(rawHeaders: readonly string[]): 'host' | 'authorization' | undefined {
  let host = 0;
  let authorization = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const raw = rawHeaders[i] ?? '';
    // Only names as long as the two can be them: the others are not lowercased (a string each).
    if (raw.length !== 4 && raw.length !== 13) continue;
    const name = raw.toLowerCase();
    if (name === 'host' && ++host > 1) return 'host';
    if (name === 'authorization' && ++authorization > 1) return 'authorization';
  }
  return undefined;
}

/** What the admission of a credentials request checks against. */
export interface AdmissionDeps {
  /** `Host` header predicate (see `createHostCheck`). */
  readonly isAllowedHost: (host: string | undefined) => boolean;
  readonly verifier: TokenVerifier;
  /** Checks on the request's source before any token work (the per-address rate limit); throws `AgentError`. */
  readonly admit?: ((request: FastifyRequest) => void) | undefined;
  /** The live-pod check (docs/security.md, threat 4), when `--pod-check` is on. */
  readonly podCheck?: PodChecker | undefined;
}

/**
 * Admits one credentials request and returns the token it proves, or throws `AgentError`:
 * synchronously when every answer is known (a memoized token of a pod already seen), else a promise.
 */
export type Admission = (
  request: FastifyRequest,
  reply: FastifyReply,
) => VerifiedToken | Promise<VerifiedToken>;

/**
 * Builds the one admission every credentials request goes through, cache hit or miss, in this order:
 * the request itself (Host, absolute-form target, repeated Host/Authorization, any body), the
 * source's limits (`admit`: the per-address rate limit; further per-source checks belong there too),
 * the token (the verifier's memo of verified tokens, else a full check, which also holds the node
 * binding of the token's claims), then the live-pod check. A repeat request of a known pod runs all
 * of it synchronously, without a promise.
 */
export function createAdmission(deps: AdmissionDeps): Admission {
  const { isAllowedHost, verifier, admit, podCheck } = deps;

  const checkRequest = (request: FastifyRequest, reply: FastifyReply): void => {
    if (!isAllowedHost(request.headers.host)) throw new AgentError('InvalidHost');
    // An absolute-form target names its own authority, which a proxy would trust over Host (docs/security.md, threat 5).
    const authority = ABSOLUTE_FORM.exec(request.raw.url ?? '')?.[1];
    if (authority !== undefined && !isAllowedHost(authority)) throw new AgentError('InvalidHost');
    // Node keeps the first of repeated Host/Authorization headers; another hop may keep the last.
    const repeated = repeatedHeader(request.raw.rawHeaders);
    if (repeated !== undefined)
      throw new AgentError(repeated === 'host' ? 'InvalidRequest' : 'MalformedToken');
    const length = request.headers['content-length'];
    const hasBody =
      request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    // A refused body is not read: close the connection rather than trust what follows it (docs/security.md, threat 7).
    if (hasBody) reply.header('connection', 'close');
    if (request.headers['transfer-encoding'] !== undefined) throw new AgentError('InvalidRequest');
    if (hasBody) throw new AgentError('PayloadTooLarge');
  };

  const checkPod = async (verified: VerifiedToken, sourceAddress: string | undefined) => {
    await podCheck?.check(verified, { sourceAddress });
    return verified;
  };

  return (request, reply) => {
    checkRequest(request, reply);
    admit?.(request);
    const header = request.headers.authorization;
    const sourceAddress = request.socket.remoteAddress;
    const memoized = verifier.memoized?.(header);
    if (memoized !== undefined) {
      if (podCheck === undefined || podCheck.known?.(memoized, sourceAddress) === true) return memoized;
      return checkPod(memoized, sourceAddress);
    }
    return verifier
      .verify(header ?? '', { sourceAddress })
      .then((verified) => checkPod(verified, sourceAddress));
  };
}
