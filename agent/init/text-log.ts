import type { Writable } from 'node:stream';
import type { Log } from '../log/logger.js';

/**
 * The log of `pod-identity-agent init`: plain text, one line per event, like every other command's
 * start-up output: `pod-identity-agent: init: <message> (key=value, ...)`. Errors and warnings go to
 * `stderr`, the rest to `stdout`; `debug` is dropped.
 */
export function createTextLog(stdout: Pick<Writable, 'write'>, stderr: Pick<Writable, 'write'>): Log {
  const line = (obj: object, msg: string | undefined): string => {
    const fields = Object.entries(obj)
      .filter(([, value]) => value !== undefined)
      .map(
        ([key, value]) =>
          `${key}=${typeof value === 'string' ? value : value instanceof Error ? value.message : JSON.stringify(value)}`,
      );
    return `pod-identity-agent: ${msg ?? ''}${fields.length > 0 ? ` (${fields.join(', ')})` : ''}\n`;
  };
  return {
    error: (obj, msg) => void stderr.write(line(obj, msg)),
    warn: (obj, msg) => void stderr.write(line(obj, msg)),
    info: (obj, msg) => void stdout.write(line(obj, msg)),
    debug: () => {},
  };
}
