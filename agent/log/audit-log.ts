import { type Logger, symbols } from 'pino';

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
}

/** One issuance, as the audit line tells it. */
export interface Issuance {
  /** Request id (fastify's `request.id`). */
  readonly reqId: string;
  readonly identity: AuditIdentity;
  readonly credentials: AuditCredentials;
  /** `Expiration` exactly as sent to the pod. */
  readonly expiration: string;
  /** How the cache served the request. */
  readonly outcome: 'hit' | 'miss';
}

/** Writes the `credentials issued` line of each issuance (reference.md: one audit line per issuance). */
export interface AuditLog {
  issued(issuance: Issuance): void;
}

/** Message of the audit line; operators grep for it (docs/api.md). */
export const AUDIT_MESSAGE = 'credentials issued';

// pino's internal pieces of a line, exported by pino as `pino.symbols`.
interface PinoInternals {
  [symbols.lsCacheSym]: Record<number, string>;
  [symbols.chindingsSym]: string;
  [symbols.streamSym]: { write(line: string): unknown };
}

/**
 * `,"key":"value"` for each field, JSON-escaped, as one flat string: `join` builds it in one piece,
 * where `+` would keep a tree of pieces alive for as long as the identity is cached (~0.8 KB each,
 * measured with heap snapshots of the memory benchmark).
 */
function fields(values: Readonly<Record<string, string>>): string {
  return Object.entries(values)
    .map(([key, value]) => `,${JSON.stringify(key)}:${JSON.stringify(value)}`)
    .join('');
}

/**
 * Creates the audit log over `logger`. Its lines are the ones `logger.info({ reqId, namespace,
 * serviceAccount, podName, podUid, roleArn, accessKeyId, expiration, cache }, AUDIT_MESSAGE)` would
 * write, byte for byte (a test holds them equal), but built from fragments serialized once per
 * identity and per credentials object: a hit repeats the same identity and credentials, and pino's
 * generic path (hooks, the scrub formatter, key-by-key serialization) cost ~10 µs of every cached
 * request (docs/performance.md). Every field is a verified claim, an ARN, a key id or a date: no
 * secret can reach these lines, and strings are JSON-escaped as pino would.
 */
export function createAuditLog(logger: Logger): AuditLog {
  const pinoLogger = logger as unknown as PinoInternals;
  const identities = new WeakMap<AuditIdentity, string>();
  const credentialsParts = new WeakMap<AuditCredentials, string>();
  const info = logger.levels.values.info ?? 30;
  const message = `,"msg":${JSON.stringify(AUDIT_MESSAGE)}}\n`;
  // pino's isoTime, made once per millisecond: at thousands of hits a second, toISOString per line
  // showed in the hit path's profile.
  let timeMs = Number.NaN;
  let time = '';
  const timePart = (): string => {
    const now = Date.now();
    if (now !== timeMs) {
      timeMs = now;
      time = `,"time":"${new Date(now).toISOString()}"`;
    }
    return time;
  };

  const identityPart = (identity: AuditIdentity): string => {
    let part = identities.get(identity);
    if (part === undefined) {
      part = fields({
        namespace: identity.namespace,
        serviceAccount: identity.serviceAccount,
        podName: identity.podName,
        podUid: identity.podUid,
      });
      identities.set(identity, part);
    }
    return part;
  };

  const credentialsPart = (credentials: AuditCredentials, expiration: string): string => {
    let part = credentialsParts.get(credentials);
    if (part === undefined) {
      part = fields({ roleArn: credentials.roleArn, accessKeyId: credentials.accessKeyId, expiration });
      credentialsParts.set(credentials, part);
    }
    return part;
  };

  return {
    issued({ reqId, identity, credentials, expiration, outcome }) {
      if (logger.levelVal > info) return;
      pinoLogger[symbols.streamSym].write(
        `${pinoLogger[symbols.lsCacheSym][info]}${timePart()}${pinoLogger[symbols.chindingsSym]}` +
          `,"reqId":${JSON.stringify(reqId)}${identityPart(identity)}${credentialsPart(credentials, expiration)}` +
          `,"cache":"${outcome}"${message}`,
      );
    },
  };
}
