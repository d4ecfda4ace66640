import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { VerifiedToken } from '../auth/token-verifier.js';
import type { CachedCredentials } from '../cache/cached-credentials.js';
import type { CacheOutcome, CredentialCache } from '../cache/credential-cache.js';
import type { AuditLog } from '../log/audit-log.js';
import type { ObserveRequest } from '../metrics/request-metrics.js';
import type { Admission } from './admission.js';
import type { RequestTimer } from './request-timer.js';

/** What the credentials route needs. */
export interface CredentialsRouteDeps {
  /** Every request check, hit or miss (see `createAdmission`). */
  readonly admission: Admission;
  readonly cache: CredentialCache;
  /** Counts each answer (errors are counted by the error handler). */
  readonly observe: ObserveRequest;
  /** Told of each answer; writes the audit line of each issuance. */
  readonly audit: AuditLog;
  /** Times each request from the route's first step (the app has no logger, so no `reply.elapsedTime`). */
  readonly timer: RequestTimer;
}

/**
 * `GET|HEAD /v1/credentials`: the admission (request checks, token, live pod), then the cache (which
 * exchanges on a miss), then the container-credentials JSON. A repeat request of a cached identity is
 * answered synchronously inside the route: no hook, no promise, the response's prebuilt bytes.
 * Errors go to the root error handler.
 */
export function registerCredentialsRoute(app: FastifyInstance, deps: CredentialsRouteDeps): void {
  const { admission, cache, observe, audit, timer } = deps;

  const send = (
    request: FastifyRequest,
    reply: FastifyReply,
    verified: VerifiedToken,
    credentials: CachedCredentials,
    outcome: CacheOutcome,
  ): FastifyReply => {
    audit.answered({ reqId: request.id, identity: verified.identity, credentials, outcome });
    // Secrets: no cache on the way (a proxy a pod set up by mistake, a debugging tool) may keep them.
    reply.type('application/json').header('cache-control', 'no-store').send(credentials.body);
    observe(200, outcome, timer.elapsedMs(request));
    return reply;
  };

  const serve = (
    request: FastifyRequest,
    reply: FastifyReply,
    verified: VerifiedToken,
  ): FastifyReply | Promise<FastifyReply> => {
    const credentials = cache.hit(verified);
    if (credentials !== undefined) return send(request, reply, verified, credentials, 'hit');
    return cache
      .get(verified)
      .then((result) => send(request, reply, verified, result.credentials, result.outcome));
  };

  app.get('/v1/credentials', (request: FastifyRequest, reply: FastifyReply) => {
    timer.start(request);
    const admitted = admission(request, reply);
    if (admitted instanceof Promise) return admitted.then((verified) => serve(request, reply, verified));
    const served = serve(request, reply, admitted);
    // Sent already on a hit: returning nothing tells fastify so without another send.
    return served instanceof Promise ? served : undefined;
  });
}
