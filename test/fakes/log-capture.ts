import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { Clock } from '../../agent/clock.js';
import { createLogger } from '../../agent/log/logger.js';

/**
 * A logger whose JSON lines are kept in `lines` (raw text, for leak scans) and `records` (parsed).
 * `clock` gives each line's time; the wall clock when omitted.
 */
export function captureLogger(
  level = 'debug',
  clock?: Clock,
): {
  logger: Logger;
  lines: string[];
  records: () => Record<string, unknown>[];
} {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l.length > 0),
      );
      done();
    },
  });
  const logger = createLogger(level, stream, clock);
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}
