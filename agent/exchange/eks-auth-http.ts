import * as http from 'node:http';
import * as https from 'node:https';

/** A whole HTTP response, body buffered. */
export interface ByteResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

/** POSTs over keep-alive connections; one per EKS Auth client. */
export interface HttpTransport {
  post(
    url: URL,
    headers: Readonly<Record<string, string>>,
    body: string,
    signal: AbortSignal,
  ): Promise<ByteResponse>;
  /** Closes pooled connections. */
  destroy(): void;
}

/** Upstream answers are a few KB; anything bigger is not EKS Auth. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Default most sockets to the EKS Auth endpoint. At node boot every pod misses at once (one call per
 * pod thanks to single-flight, up to ~250 pods a node): with fewer sockets the calls queue, and the
 * per-attempt deadline, which also runs while a call waits for a socket, retries them (the node-boot burst of docs/performance.md).
 */
export const DEFAULT_MAX_SOCKETS = 256;

/**
 * Creates a keep-alive transport (connection reuse matters: the agent's miss path is one upstream
 * call). Aborting `signal` rejects with `signal.reason` (e.g. a `TimeoutError`); socket failures
 * reject with the system error itself (`ECONNREFUSED`, `ECONNRESET`, `ENOTFOUND`, ...).
 */
export function createHttpTransport(
  options: {
    readonly maxSockets?: number;
    /** Picks the agent per URL (proxies, CA bundle: `createUpstreamAgents`); owned by the caller. */
    readonly agentFor?: ((url: URL) => http.Agent) | undefined;
  } = {},
): HttpTransport {
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? DEFAULT_MAX_SOCKETS,
    scheduling: 'lifo' as const,
  };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);
  const agentFor = options.agentFor ?? ((url: URL) => (url.protocol === 'https:' ? httpsAgent : httpAgent));
  return {
    post(url, headers, body, signal) {
      const secure = url.protocol === 'https:';
      return new Promise<ByteResponse>((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        const request = (secure ? https : http).request(url, {
          method: 'POST',
          headers,
          agent: agentFor(url),
        });
        const onAbort = (): void => {
          request.destroy();
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        const done = (): void => signal.removeEventListener('abort', onAbort);
        request.on('error', (error) => {
          done();
          reject(error);
        });
        request.on('response', (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) {
              response.destroy(Object.assign(new Error('response too large'), { name: 'ResponseTooLarge' }));
              return;
            }
            chunks.push(chunk);
          });
          response.on('error', (error) => {
            done();
            reject(error);
          });
          response.on('end', () => {
            done();
            resolve({
              statusCode: response.statusCode ?? 0,
              headers: flatten(response.headers),
              body: Buffer.concat(chunks),
            });
          });
        });
        request.end(body);
      });
    },
    destroy() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function flatten(headers: http.IncomingHttpHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = Array.isArray(value) ? value[0] : value;
  return out;
}
