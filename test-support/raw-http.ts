/**
 * A raw HTTP/1.1 client over `node:net` for hostile-input tests: sends exact bytes (malformed
 * framing, control characters, pipelined requests) that `fetch` and `node:http` refuse to produce,
 * and parses whatever comes back.
 */
import { connect, type Socket } from 'node:net';

/** One parsed response. */
export interface RawResponse {
  readonly status: number;
  /** Header names lower-cased; the last value wins. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What a raw exchange produced. */
export interface RawExchange {
  /** Every complete response, in order. */
  readonly responses: readonly RawResponse[];
  /** Every byte received, latin1. */
  readonly text: string;
  /** True when the server closed the connection before `waitMs`. */
  readonly closed: boolean;
  /** Milliseconds from connecting to close (or to `waitMs`). */
  readonly ms: number;
}

/** Options of {@link sendRaw}. */
export interface RawOptions {
  /** Source address to connect from (any 127.0.0.0/8 address works on Linux loopback). */
  readonly localAddress?: string;
  /** Longest wait for the server to close, milliseconds. Default 3000. */
  readonly waitMs?: number;
  /** Resolve as soon as this many responses are complete (default: wait for close or `waitMs`). */
  readonly responses?: number;
}

/** Parses back-to-back HTTP/1.1 responses with `Content-Length` bodies (what the agent sends). */
export function parseResponses(text: string): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = text;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return out;
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
    const length = Number(headers['content-length'] ?? 0);
    if (rest.length < end + 4 + length) return out;
    // 1xx answers have no body and precede the real one.
    out.push({ status, headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
}

/** Opens a connection to 127.0.0.1:`port`, writes `data`, and collects what comes back. */
export function sendRaw(port: number, data: string | Buffer, options: RawOptions = {}): Promise<RawExchange> {
  const waitMs = options.waitMs ?? 3_000;
  return new Promise((resolve) => {
    const started = Date.now();
    const socket: Socket = connect({
      port,
      host: '127.0.0.1',
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ responses: parseResponses(text), text, closed, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const want = options.responses;
      if (want !== undefined && parseResponses(Buffer.concat(chunks).toString('latin1')).length >= want)
        finish(socket.readyState === 'closed');
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(data);
  });
}

/** Opens `count` connections that send nothing, resolving once all are connected. */
export async function openIdleSockets(port: number, count: number, localAddress?: string): Promise<Socket[]> {
  const sockets: Socket[] = [];
  const batch = 200;
  for (let i = 0; i < count; i += batch) {
    const opened = await Promise.all(
      Array.from(
        { length: Math.min(batch, count - i) },
        () =>
          new Promise<Socket>((resolve, reject) => {
            const socket = connect({
              port,
              host: '127.0.0.1',
              ...(localAddress === undefined ? {} : { localAddress }),
            });
            socket.once('connect', () => resolve(socket));
            socket.once('error', reject);
          }),
      ),
    );
    for (const socket of opened) socket.on('error', () => {});
    sockets.push(...opened);
  }
  return sockets;
}
