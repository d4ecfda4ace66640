/**
 * A loopback HTTP proxy that records each request's method, path, headers and body, then forwards it
 * unchanged to an upstream (moto). Tests read what the agent really sent to STS (session tags,
 * session policy) where moto itself ignores those parameters.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { listenOnLoopback } from './loopback.js';

/** One request that went through the proxy. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body as form parameters (AWS query protocol), e.g. `Tags.member.1.Key`. */
  readonly params: Readonly<Record<string, string>>;
}

/** A running recording proxy. */
export interface RecordingProxy {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly requests: RecordedRequest[];
  /** Requests whose `Action` form parameter is `action`. */
  byAction(action: string): RecordedRequest[];
  close(): Promise<void>;
}

/** Options of {@link startRecordingProxy}. */
export interface RecordingProxyOptions {
  /**
   * Plays STS's side of `AssumeRoleWithWebIdentity`, which moto cannot serve once it enforces IAM (it
   * needs a signature on every call): the proxy checks the web identity token with this function
   * (false: answers `InvalidIdentityToken`), then signs the call with `signer` before forwarding it.
   */
  readonly webIdentity?: {
    readonly verify: (token: string) => boolean;
    readonly signer: {
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
      readonly region: string;
    };
  };
}

const INVALID_IDENTITY_TOKEN =
  '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>Token rejected</Message></Error><RequestId>proxy</RequestId></ErrorResponse>';

/** Starts a recording proxy to `upstream` (`http://host:port`) on a free loopback port. */
export async function startRecordingProxy(
  upstream: string,
  options: RecordingProxyOptions = {},
): Promise<RecordingProxy> {
  const target = new URL(upstream);
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: text,
        params: Object.fromEntries(new URLSearchParams(text)),
      };
      requests.push(recorded);
      let headers = req.headers;
      const web = options.webIdentity;
      if (web !== undefined && recorded.params.Action === 'AssumeRoleWithWebIdentity') {
        if (!web.verify(recorded.params.WebIdentityToken ?? '')) {
          res.writeHead(400, { 'content-type': 'text/xml' }).end(INVALID_IDENTITY_TOKEN);
          return;
        }
        headers = await signForMoto(req.headers, req.method ?? 'POST', req.url ?? '/', text, web.signer);
      }
      // The Host header stays as signed: moto checks SigV4 over it.
      const forward = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers,
        },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      forward.on('error', () => {
        res.writeHead(502).end();
      });
      forward.end(body);
    });
  });
  const port = await listenOnLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    byAction: (action) => requests.filter((r) => r.params.Action === action),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function signForMoto(
  incoming: IncomingHttpHeaders,
  method: string,
  url: string,
  body: string,
  signer: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly region: string },
): Promise<IncomingHttpHeaders> {
  const host = incoming.host ?? '';
  const [hostname, port] = host.split(':');
  const headers: Record<string, string> = {
    host,
    'content-type': String(incoming['content-type'] ?? 'application/x-www-form-urlencoded'),
  };
  const signed = await new SignatureV4({
    service: 'sts',
    region: signer.region,
    credentials: { accessKeyId: signer.accessKeyId, secretAccessKey: signer.secretAccessKey },
    sha256: Hash.bind(null, 'sha256'),
  }).sign({
    method,
    protocol: 'http:',
    hostname: hostname ?? '',
    ...(port === undefined ? {} : { port: Number(port) }),
    path: url,
    query: {},
    headers,
    body,
  });
  return { ...incoming, ...signed.headers };
}
