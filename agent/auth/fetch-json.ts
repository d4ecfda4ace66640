import { type Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { withDeadline } from '../deadline.js';

/** Default deadline of one key-set request, milliseconds. */
export const DEFAULT_FETCH_TIMEOUT_MS = 5000;
/** Largest accepted key-set or discovery document, bytes (real ones are a few KiB). */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

/** Options of {@link fetchJson}. */
export interface FetchJsonOptions {
  /** Deadline for the whole request, milliseconds. Default {@link DEFAULT_FETCH_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** Extra request headers (e.g. a bearer token; never put in error messages). */
  readonly headers?: Readonly<Record<string, string>>;
  /** PEM CA bundle trusted for https URLs instead of the system roots. */
  readonly ca?: string | Buffer;
  /** Picks the connection agent per URL (proxies, `NO_PROXY`, CA bundle). Default: node's global agent. */
  readonly agentFor?: ((url: URL) => Agent) | undefined;
}

/**
 * GETs `url` and parses its JSON body. Only status 200 is accepted: redirects are not followed
 * (a redirect could point the agent's service-account token at another host). Rejects with an `Error` naming the URL and the problem, never a header value.
 */
export function fetchJson(url: URL, options: FetchJsonOptions = {}): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const where = `${url.origin}${url.pathname}`;
  const timedOut = (cause: unknown) => new Error(`GET ${where} timed out after ${timeoutMs} ms`, { cause });
  return withDeadline(
    timeoutMs,
    undefined,
    (signal) =>
      new Promise((resolve, reject) => {
        const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
        const req = request(
          url,
          {
            method: 'GET',
            // kube-apiserver serves its key set only as application/jwk-set+json (406 otherwise).
            headers: { accept: 'application/json, application/jwk-set+json', ...options.headers },
            signal,
            ...(options.ca === undefined ? {} : { ca: options.ca }),
            ...(options.agentFor === undefined ? {} : { agent: options.agentFor(url) }),
          },
          (res) =>
            readBody(res, where).then(resolve, (error: unknown) =>
              reject(signal.aborted ? timedOut(error) : error),
            ),
        );
        req.on('error', (error) =>
          reject(
            signal.aborted
              ? timedOut(error)
              : new Error(`GET ${where} failed: ${error.message}`, { cause: error }),
          ),
        );
        req.end();
      }),
  );
}

async function readBody(res: IncomingMessage, where: string): Promise<unknown> {
  if (res.statusCode !== 200) {
    res.resume();
    throw new Error(`GET ${where} answered HTTP ${res.statusCode}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > MAX_DOCUMENT_BYTES) {
      res.destroy();
      throw new Error(`GET ${where} answered more than ${MAX_DOCUMENT_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (cause) {
    throw new Error(`GET ${where} did not answer JSON`, { cause });
  }
}
