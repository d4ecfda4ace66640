/**
 * An EKS Auth-compatible service (`AssumeRoleForPodIdentity`) on 127.0.0.1: checks the
 * caller's SigV4 signature, verifies the pod token against the cluster's JWKS, maps the service
 * account to a role and mints credentials through STS (moto) or locally. Faults and latency can be
 * injected; `calls` counts requests. For tests, the demo and benchmarks.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JSONWebKeySet } from 'jose';
import type { Clock } from '../agent/clock.js';
import {
  createStsMinter,
  localMinter,
  MintError,
  type MintedSession,
  type Minter,
} from './eks-auth-minter.js';
import { type SigV4Credentials, verifySigV4 } from './eks-auth-sigv4.js';
import { verifyPodToken } from './eks-auth-token.js';
import { listenOnLoopback } from './loopback.js';

/** One service account → role mapping (a pod identity association). */
export interface EksAuthAssociation {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly roleArn: string;
  /**
   * Lifetime of this association's credentials in seconds, overriding the service's. May be shorter
   * than EKS's 15 minutes (at least 30 s), so SDK refresh windows arrive within a test; STS is still
   * asked for 15 minutes and the answer's expiration is brought forward.
   */
  readonly lifetimeSeconds?: number;
}

/** Options of {@link startEksAuthService}. */
export interface EksAuthServiceOptions {
  /** Fixed port on 127.0.0.1 (`npm run stand-ins`); default one the OS picks. */
  readonly port?: number;
  readonly jwks: JSONWebKeySet;
  readonly issuer: string;
  /** Default `pods.eks.amazonaws.com`. */
  readonly audience?: string;
  readonly clusterName: string;
  readonly associations: readonly EksAuthAssociation[];
  /** `sts` (default when `stsEndpoint` is set) calls STS AssumeRole; `local` invents credentials. */
  readonly mint?: 'sts' | 'local';
  /** STS endpoint (moto), for `mint: 'sts'`. */
  readonly stsEndpoint?: string;
  /** Keys used to call STS AssumeRole (moto's admin key). */
  readonly stsCredentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The node credentials whose SigV4 signatures are accepted. */
  readonly nodeCredentials: SigV4Credentials;
  /** Default `us-east-1`. */
  readonly region?: string;
  /** Account in the cluster and association ARNs. Default `123456789012`. */
  readonly accountId?: string;
  /** Credential lifetime in seconds. Default 21600 (EKS's 6 h). */
  readonly lifetimeSeconds?: number;
  /** For token times and local expiry. Default: the wall clock. Signatures are always checked against the wall clock. */
  readonly clock?: Clock;
  /** Called once each answer's last byte is handed to the OS, with the request body and the status. */
  readonly onAnswered?: (body: Buffer, statusCode: number) => void;
}

/** Injected failure: 429, 503, connections reset without an answer, or an answer about another service account. */
export type EksAuthFault = 'none' | 'throttle' | 'unavailable' | 'down' | 'wrong-subject';

/** One credential issuance, for assertions. */
export interface EksAuthIssued {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly podName: string;
  readonly podUid: string;
  readonly roleArn: string;
  readonly sessionName: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly accessKeyId: string;
}

/** A running EKS Auth stand-in. */
export interface EksAuthService {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly port: number;
  /** Requests received (`total`) and answered with credentials (`success`). Live. */
  readonly calls: { readonly total: number; readonly success: number };
  /** Every issuance, oldest first. */
  readonly issued: readonly EksAuthIssued[];
  /** The source address of each request, oldest first (a proxy's outgoing address shows here). */
  readonly sources: readonly string[];
  setFault(fault: EksAuthFault): void;
  /** Delay before every answer, in milliseconds. */
  setLatency(ms: number): void;
  stop(): Promise<void>;
}

const ERROR_SUFFIX = ':http://internal.amazon.com/coral/com.amazonaws.eksauth/';
const MAX_BODY = 64 * 1024;

/** Starts the service on 127.0.0.1, port chosen by the OS. */
export async function startEksAuthService(options: EksAuthServiceOptions): Promise<EksAuthService> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const audience = options.audience ?? 'pods.eks.amazonaws.com';
  const lifetimeSeconds = options.lifetimeSeconds ?? 21_600;
  const clock = options.clock ?? { now: () => Date.now() };
  const mode = options.mint ?? (options.stsEndpoint ? 'sts' : 'local');
  if (!/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(options.clusterName ?? ''))
    throw new TypeError('"clusterName" must be a valid EKS cluster name');
  if (!options.nodeCredentials?.accessKeyId || !options.nodeCredentials.secretAccessKey)
    throw new TypeError('"nodeCredentials" must have accessKeyId and secretAccessKey');
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 900)
    throw new TypeError('"lifetimeSeconds" must be an integer of at least 900');
  for (const a of options.associations) {
    if (a.lifetimeSeconds !== undefined && (!Number.isInteger(a.lifetimeSeconds) || a.lifetimeSeconds < 30))
      throw new TypeError('an association\'s "lifetimeSeconds" must be an integer of at least 30');
  }
  let minter: Minter = localMinter;
  let closeMinter = (): void => {};
  if (mode === 'sts') {
    if (!options.stsEndpoint || !options.stsCredentials)
      throw new TypeError('"stsEndpoint" and "stsCredentials" are required with mint "sts"');
    const sts = createStsMinter({
      endpoint: options.stsEndpoint,
      region,
      credentials: options.stsCredentials,
    });
    minter = sts.mint;
    closeMinter = sts.close;
  }
  const clusterArn = `arn:aws:eks:${region}:${accountId}:cluster/${options.clusterName}`;
  const calls = { total: 0, success: 0 };
  const issued: EksAuthIssued[] = [];
  const sources: string[] = [];
  let fault: EksAuthFault = 'none';
  let latencyMs = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> => {
    calls.total++;
    sources.push(req.socket.remoteAddress ?? '');
    if (latencyMs > 0) await sleep(latencyMs);
    if (fault === 'down') return void req.socket.destroy();
    if (fault === 'throttle') return sendError(res, 429, 'ThrottlingException', 'Rate exceeded');
    if (fault === 'unavailable')
      return sendError(res, 503, 'ServiceUnavailableException', 'Service unavailable');
    const path = /^\/clusters\/([^/?]+)\/assume-role-for-pod-identity(?:\?.*)?$/.exec(req.url ?? '');
    if (req.method !== 'POST' || path === null)
      return sendError(res, 404, 'UnknownOperationException', 'Unknown operation');
    const auth = await verifySigV4(
      { method: req.method, url: req.url ?? '/', headers: req.headers, body },
      { credentials: options.nodeCredentials, region, service: 'eks-auth', now: Date.now() },
    );
    if (auth) return sendError(res, auth.status, auth.type, auth.message);
    if (decodeURIComponent(path[1] as string) !== options.clusterName)
      return sendError(res, 404, 'ResourceNotFoundException', 'No cluster found for name.');
    let token: unknown;
    try {
      token = (JSON.parse(body.toString('utf8')) as { token?: unknown }).token;
    } catch {
      return sendError(res, 400, 'InvalidRequestException', 'The request body is not valid JSON.');
    }
    if (typeof token !== 'string' || token === '')
      return sendError(res, 400, 'InvalidParameterException', 'token is required.');
    const pod = await verifyPodToken(token, {
      jwks: options.jwks,
      issuer: options.issuer,
      audience,
      now: clock.now(),
    });
    if ('type' in pod) return sendError(res, 400, pod.type, pod.message);
    const association = options.associations.find(
      (a) => a.namespace === pod.namespace && a.serviceAccount === pod.serviceAccount,
    );
    if (association === undefined)
      return sendError(
        res,
        404,
        'ResourceNotFoundException',
        'No Pod Identity Association for this service account.',
      );
    let session: MintedSession;
    const lifetime = association.lifetimeSeconds ?? lifetimeSeconds;
    try {
      const now = clock.now();
      const minted = await minter({
        ...pod,
        clusterName: options.clusterName,
        clusterArn,
        roleArn: association.roleArn,
        lifetimeSeconds: Math.max(lifetime, 900),
        now,
      });
      session = { ...minted, expiration: Math.min(minted.expiration, now + lifetime * 1000) };
    } catch (error) {
      const e = error instanceof MintError ? error : new MintError('InternalServerException', 500);
      return sendError(res, e.status, e.type, 'The role could not be assumed.');
    }
    calls.success++;
    issued.push({
      ...pod,
      roleArn: association.roleArn,
      sessionName: session.sessionName,
      tags: session.tags,
      accessKeyId: session.accessKeyId,
    });
    const associationId = `a-${createHash('sha256').update(`${pod.namespace}/${pod.serviceAccount}`).digest('hex').slice(0, 17)}`;
    sendJson(res, 200, {
      // 'wrong-subject': credentials of the right role, said to be for another service account.
      subject: {
        namespace: pod.namespace,
        serviceAccount: fault === 'wrong-subject' ? 'someone-else' : pod.serviceAccount,
      },
      audience,
      podIdentityAssociation: {
        associationArn: `arn:aws:eks:${region}:${accountId}:podidentityassociation/${options.clusterName}/${associationId}`,
        associationId,
      },
      assumedRoleUser: { arn: session.assumedRoleArn, assumeRoleId: session.assumeRoleId },
      credentials: {
        sessionToken: session.sessionToken,
        secretAccessKey: session.secretAccessKey,
        accessKeyId: session.accessKeyId,
        expiration: Math.floor(session.expiration / 1000),
      },
    });
  };

  const server = createServer({ keepAliveTimeout: 10_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY)
        return sendError(res, 400, 'InvalidRequestException', 'The request body is too large.');
      const body = Buffer.concat(chunks);
      const { onAnswered } = options;
      if (onAnswered !== undefined) res.once('finish', () => onAnswered(body, res.statusCode));
      handle(req, res, body).catch(() => {
        if (!res.headersSent) sendError(res, 500, 'InternalServerException', 'Internal error.');
      });
    });
  });
  const port = await listenOnLoopback(server, options.port);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    calls,
    issued,
    sources,
    setFault: (next) => {
      fault = next;
    },
    setLatency: (ms) => {
      if (!Number.isFinite(ms) || ms < 0) throw new TypeError('latency must be a non-negative number of ms');
      latencyMs = ms;
    },
    stop: async () => {
      closeMinter();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(text);
}

/** EKS Auth's error shape: type in `x-amzn-errortype`, `{"message"}` body. */
function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { message }, { 'x-amzn-errortype': `${type}${ERROR_SUFFIX}` });
}
