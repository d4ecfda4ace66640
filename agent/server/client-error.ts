import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type AgentErrorCode, ERROR_TABLE, errorBody } from '../errors.js';

/** A socket as Node hands it to `clientError`, with the response in flight on it, if any. */
type ClientSocket = Duplex & {
  _httpMessage?: {
    headersSent?: boolean;
    writableFinished?: boolean;
    once(e: 'finish' | 'close', f: () => void): void;
  } | null;
};

/** The parser's error codes that mean the header section is too large. */
const TOO_LARGE = new Set(['HPE_HEADER_OVERFLOW']);
/** Timeouts and resets: the client is slow or gone, so there is no one worth answering. */
const SILENT = new Set(['ERR_HTTP_REQUEST_TIMEOUT', 'ECONNRESET', 'EPIPE']);
/** Longest wait for an in-flight response before the socket is destroyed anyway, milliseconds. */
const IN_FLIGHT_WAIT_MS = 10_000;

function errorResponse(code: string): Buffer {
  const agentCode: AgentErrorCode = TOO_LARGE.has(code) ? 'HeadersTooLarge' : 'InvalidRequest';
  const { statusCode, message } = ERROR_TABLE[agentCode];
  const body = errorBody(agentCode, message);
  return Buffer.concat([
    Buffer.from(
      `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\n` +
        'Content-Type: application/json\r\n' +
        `Content-Length: ${body.length}\r\n` +
        'Connection: close\r\n\r\n',
    ),
    body,
  ]);
}

/**
 * Answers a request Node's strict parser refused (docs/security.md threat 7: smuggling attempts such as
 * `Content-Length` with `Transfer-Encoding`, duplicate `Content-Length`, obs-fold, bare LF, control
 * bytes, oversized headers) with the agent's JSON error body instead of Node's bodyless default, then
 * closes the connection: after a framing error nothing further on it can be trusted. A pipelined
 * request still being answered on the same connection is finished first, so the error comes after it.
 * Slow clients (headers or request timeout) and resets are closed without an answer.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const code = error.code ?? '';
  if (SILENT.has(code) || !socket.writable) {
    socket.destroy();
    return;
  }
  let answered = false;
  const answer = () => {
    if (answered) return;
    answered = true;
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(errorResponse(code));
    // end() flushes then closes; destroy if the peer never reads, so the socket cannot linger.
    setTimeout(() => socket.destroy(), 1_000).unref();
  };
  const inFlight = (socket as ClientSocket)._httpMessage;
  if (inFlight === undefined || inFlight === null || inFlight.writableFinished === true) {
    answer();
    return;
  }
  // Never interleave bytes with a response being written: answer once it has ended.
  inFlight.once('finish', answer);
  inFlight.once('close', answer);
  setTimeout(() => socket.destroy(), IN_FLIGHT_WAIT_MS).unref();
}
