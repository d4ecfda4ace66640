import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { CacheOutcome, CredentialCache } from '../cache/credential-cache.js';
import { AgentError } from '../errors.js';
import type { AuditLog } from '../log/audit-log.js';
import type { Metrics } from '../metrics/metrics.js';

/** `scheme://authority/...` request targets (RFC 9112 §3.2.2); group 1 is the authority. */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/;

/** The first of `host`/`authorization` that appears more than once in the raw header list. */
function repeatedHeader(rawHeaders: readonly string[]): 'host' | 'authorization' | undefined {
  let host = 0;
  let authorization = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]?.toLowerCase();
    if (name === 'host' && ++host > 1) return 'host';
    if (name === 'authorization' && ++authorization > 1) return 'authorization';
  }
  return undefined;
}

/** What the credentials route needs. */
export interface CredentialsRouteDeps {
  readonly verifier: TokenVerifier;
  readonly cache: CredentialCache;
  readonly metrics: Metrics;
  /** Writes the audit line of each issuance. */
  readonly audit: AuditLog;
  /** `Host` header predicate (see `createHostCheck`). */
  readonly isAllowedHost: (host: string | undefined) => boolean;
  /** Optional admission check on the source address, e.g. a rate limiter; throws `AgentError`. */
  readonly admit?: (request: FastifyRequest) => void;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** How the credentials were found, for the duration histogram. */
    cacheOutcome: CacheOutcome | 'none';
  }
}

/**
 * `GET|HEAD /v1/credentials` (docs/api.md): request checks, then verify the token, then the cache
 * (which exchanges on a miss), then the container-credentials JSON. Errors go to the root handler.
 */
export function registerCredentialsRoute(app: FastifyInstance, deps: CredentialsRouteDeps): void {
  const { verifier, cache, metrics, audit, isAllowedHost, admit } = deps;
  app.decorateRequest('cacheOutcome', 'none');

  // Callback-style hooks: the hit path is benchmarked against a bare fastify route (docs/performance.md), and
  // async hooks cost a promise each.
  const checkRequest = (request: FastifyRequest, reply: FastifyReply): void => {
    if (!isAllowedHost(request.headers.host)) throw new AgentError('InvalidHost');
    // An absolute-form target names its own authority, which a proxy would trust over Host (threat 5).
    const authority = ABSOLUTE_FORM.exec(request.raw.url ?? '')?.[1];
    if (authority !== undefined && !isAllowedHost(authority)) throw new AgentError('InvalidHost');
    // Node keeps the first of repeated Host/Authorization headers; another hop may keep the last.
    const repeated = repeatedHeader(request.raw.rawHeaders);
    if (repeated !== undefined)
      throw new AgentError(repeated === 'host' ? 'InvalidRequest' : 'MalformedToken');
    const length = request.headers['content-length'];
    const hasBody =
      request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    // A refused body is not read: close the connection rather than trust what follows it (threat 7).
    if (hasBody) reply.header('connection', 'close');
    if (request.headers['transfer-encoding'] !== undefined) throw new AgentError('InvalidRequest');
    if (hasBody) throw new AgentError('PayloadTooLarge');
    admit?.(request);
  };
  app.addHook('onRequest', (request, reply, done) => {
    try {
      checkRequest(request, reply);
      done();
    } catch (error) {
      done(error as Error);
    }
  });

  // Labelled children made once: no label object per request.
  const requestsByCode = new Map<number, { inc(): void }>();
  const durations = {
    hit: metrics.requestDuration.labels('hit'),
    miss: metrics.requestDuration.labels('miss'),
    none: metrics.requestDuration.labels('none'),
  };
  app.addHook('onResponse', (request, reply, done) => {
    let requests = requestsByCode.get(reply.statusCode);
    if (requests === undefined) {
      requests = metrics.requests.labels(String(reply.statusCode));
      requestsByCode.set(reply.statusCode, requests);
    }
    requests.inc();
    durations[request.cacheOutcome].observe(reply.elapsedTime / 1000);
    done();
  });

  app.get('/v1/credentials', async (request: FastifyRequest, reply: FastifyReply) => {
    const verified = await verifier.verify(request.headers.authorization ?? '', {
      sourceAddress: request.socket.remoteAddress,
    });
    const { credentials, outcome } = await cache.get(verified);
    request.cacheOutcome = outcome;
    audit.issued({
      reqId: request.id,
      identity: verified.identity,
      credentials,
      expiration: credentials.expirationText,
      outcome,
    });
    return reply.type('application/json').send(credentials.body);
  });
}
