import { type DestinationStream, type Logger, pino } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { scrubObject, scrubText, serializeError } from './redact.js';

/** The logging surface components depend on (pino-compatible). */
export interface Log {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/**
 * Creates the JSON logger shared by every server and component. Every line passes through
 * `scrubObject`, so no token or secret reaches the output at any level.
 *
 * @param level pino level (`info` by default in the CLI).
 * @param destination where lines go; stdout when omitted.
 * @param clock the time of each line (`"time"`, ISO 8601 UTC). Default the wall clock.
 */
export function createLogger(
  level: string,
  destination?: DestinationStream,
  clock: Clock = systemClock,
): Logger {
  return pino(
    {
      level,
      base: { service: 'pod-identity-agent' },
      timestamp: () => `,"time":"${new Date(clock.now()).toISOString()}"`,
      messageKey: 'msg',
      serializers: { err: serializeError, error: serializeError },
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => scrubObject(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          // Messages are ours, but a format argument could carry anything: scrub them too (in place:
          // `args` is pino's own copy of this call's arguments).
          for (let i = 0; i < args.length; i++) {
            const arg = args[i];
            if (typeof arg === 'string') args[i] = scrubText(arg);
          }
          method.apply(this, args);
        },
      },
    },
    destination,
  );
}
