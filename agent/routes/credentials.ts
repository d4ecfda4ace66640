import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { CacheOutcome, CredentialCache } from '../cache/credential-cache.js';
import { AgentError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { formatExpiration, toCredentialsBody } from './credentials-body.js';

/** What the credentials route needs. */
export interface CredentialsRouteDeps {
  readonly verifier: TokenVerifier;
  readonly cache: CredentialCache;
  readonly metrics: Metrics;
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
 * `GET|HEAD /v1/credentials` (contract §1): request checks, then verify the token, then the cache
 * (which exchanges on a miss), then the container-credentials JSON. Errors go to the root handler.
 */
export function registerCredentialsRoute(app: FastifyInstance, deps: CredentialsRouteDeps): void {
  const { verifier, cache, metrics, isAllowedHost, admit } = deps;
  app.decorateRequest('cacheOutcome', 'none');

  app.addHook('onRequest', async (request) => {
    if (!isAllowedHost(request.headers.host)) throw new AgentError('InvalidHost');
    if (request.headers['transfer-encoding'] !== undefined) throw new AgentError('InvalidRequest');
    const length = request.headers['content-length'];
    if (length !== undefined && length !== '0') throw new AgentError('PayloadTooLarge');
    admit?.(request);
  });

  app.addHook('onResponse', async (request, reply) => {
    metrics.requests.inc({ code: reply.statusCode });
    metrics.requestDuration.observe({ cache: request.cacheOutcome }, reply.elapsedTime / 1000);
  });

  app.get('/v1/credentials', async (request: FastifyRequest, reply: FastifyReply) => {
    const verified = await verifier.verify(request.headers.authorization ?? '', {
      sourceAddress: request.socket.remoteAddress,
    });
    const { credentials, outcome } = await cache.get(verified);
    request.cacheOutcome = outcome;
    const { identity } = verified;
    request.log.info(
      {
        namespace: identity.namespace,
        serviceAccount: identity.serviceAccount,
        podName: identity.podName,
        podUid: identity.podUid,
        roleArn: credentials.roleArn,
        accessKeyId: credentials.accessKeyId,
        expiration: formatExpiration(credentials.expiration),
        cache: outcome,
      },
      'credentials issued',
    );
    return reply.type('application/json').send(toCredentialsBody(credentials));
  });
}
