import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Random bytes behind each session token: 1,200 base64 characters, about what STS gives for a
 * role session with EKS's six session tags (so responses have a realistic size).
 */
export const SESSION_TOKEN_BYTES = 900;

/** An EKS Auth stand-in that answers at once and records how long each answer took it. */
export interface InstantUpstream {
  readonly endpoint: string;
  /** Milliseconds from each request's first bytes to the end of its answer, in arrival order. */
  readonly handleMs: readonly number[];
  stop(): Promise<void>;
}

/**
 * Answers every `AssumeRoleForPodIdentity` with fresh, well-formed 6 h credentials, without any
 * checks: the miss-overhead benchmark subtracts this service's own time from the client's total, so
 * what is left is the agent's (token check, SigV4, its HTTP client, cache, response).
 */
export async function startInstantUpstream(): Promise<InstantUpstream> {
  const handleMs: number[] = [];
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    // From the first bytes of the request on the socket: reading and parsing them is this service's time too.
    const started = arrivals.get(req.socket) ?? process.hrtime.bigint();
    arrivals.delete(req.socket);
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({
        subject: { namespace: 'default', serviceAccount: 'app' },
        audience: 'pods.eks.amazonaws.com',
        podIdentityAssociation: {
          associationArn:
            'arn:aws:eks:us-east-1:123456789012:podidentityassociation/bench/a-0123456789abcdef0',
          associationId: 'a-0123456789abcdef0',
        },
        assumedRoleUser: {
          arn: 'arn:aws:sts::123456789012:assumed-role/bench-role/eks-bench-pod',
          assumeRoleId: 'AROABENCH0000000000:eks-bench-pod',
        },
        credentials: {
          sessionToken: randomBytes(SESSION_TOKEN_BYTES).toString('base64'),
          secretAccessKey: randomBytes(30).toString('base64'),
          accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
          expiration: Math.floor(Date.now() / 1000) + 6 * 3600,
        },
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body, () => handleMs.push(Number(process.hrtime.bigint() - started) / 1e6));
    });
  });
  const arrivals = new WeakMap<Socket, bigint>();
  server.on('connection', (socket: Socket) => {
    // Prepended: the HTTP server's own listener parses the chunk and runs the handler synchronously.
    socket.prependListener('data', () => {
      if (!arrivals.has(socket)) arrivals.set(socket, process.hrtime.bigint());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    handleMs,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
