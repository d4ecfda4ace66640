import type { Logger } from 'pino';

/** The pod an audit line names: the verified identity's fields it logs. */
export interface AuditIdentity {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly podName: string;
  readonly podUid: string;
}

/** The credentials an audit line names: never a secret. */
export interface AuditCredentials {
  readonly roleArn: string;
  readonly accessKeyId: string;
  /** `Expiration` exactly as sent to the pod. */
  readonly expirationText: string;
}

/** One credentials answer, as the audit log sees it. */
export interface Answer {
  /** Request id (fastify's `request.id`). */
  readonly reqId: string;
  readonly identity: AuditIdentity;
  readonly credentials: AuditCredentials;
  /** How the cache served the request. */
  readonly outcome: 'hit' | 'miss';
}

/**
 * The audit trail of credentials answers: one `credentials issued` line (`info`) per issuance, the
 * first answer that hands a pod's token a set of credentials; each repeat of the same credentials to
 * the same token writes `credentials answered again` at `debug` only.
 */
export interface AuditLog {
  answered(answer: Answer): void;
}

/** Message of the issuance line; operators grep for it (docs/api.md). */
export const AUDIT_MESSAGE = 'credentials issued';
/** Message of a repeat answer's line, written at `debug` only. */
export const REPEAT_MESSAGE = 'credentials answered again';

/**
 * Creates the audit log over `logger`. An issuance line carries the pod (namespace, service account,
 * pod name and uid), the request id, role ARN, access key id, expiration and `cache: hit|miss`: every
 * field a verified claim, an ARN, a key id or a date, so no secret can reach it.
 *
 * Which credentials a token was already given is kept per identity object: the verifier memoizes one
 * identity per token, so a pod's repeat requests (SDKs that ask on every call, several processes of
 * one pod) are not issuances, while a new token of the pod (a kubelet rotation) and new credentials
 * of its cache entry (a refresh) are. Writing only issuances at `info` keeps the hit path to two
 * property reads (docs/performance.md: a line per answer was a third of the agent's work per hit).
 */
export function createAuditLog(logger: Logger): AuditLog {
  const issued = new WeakMap<AuditIdentity, AuditCredentials>();
  return {
    answered({ reqId, identity, credentials, outcome }) {
      const repeat = issued.get(identity) === credentials;
      if (repeat && !logger.isLevelEnabled('debug')) return;
      if (!repeat) issued.set(identity, credentials);
      const { namespace, serviceAccount, podName, podUid } = identity;
      const { roleArn, accessKeyId, expirationText } = credentials;
      const fields = {
        namespace,
        serviceAccount,
        podName,
        podUid,
        reqId,
        roleArn,
        accessKeyId,
        expiration: expirationText,
        cache: outcome,
      };
      if (repeat) logger.debug(fields, REPEAT_MESSAGE);
      else logger.info(fields, AUDIT_MESSAGE);
    },
  };
}
