/** Where the batched lines go, e.g. `pino.destination({ dest: 1, sync: true })` (sonic-boom). */
export interface LineSink {
  write(chunk: string): unknown;
}

/** A pino destination whose lines are written once per event-loop turn. */
export interface TurnBatchedStream {
  write(line: string): boolean;
  /** Writes what is buffered now (process exit; pino's `logger.flush(done)`), then calls `done`. */
  flush(done?: () => void): void;
}

/**
 * Buffers log lines and hands them to `sink` in one write at the end of the event-loop turn in which
 * they were written (`setImmediate` runs after the turn's I/O callbacks). Under load one write carries
 * the lines of every request answered in that turn: an audit line written on its own cost more agent
 * CPU than the response itself (docs/performance.md). No line waits past the current turn; whoever
 * owns the process also calls `flush()` on exit.
 *
 * @param sink takes the joined lines; a synchronous sonic-boom retries `EAGAIN` and drops lines once
 *   stdout is gone (`EPIPE`).
 * @param maxBufferedChars lines beyond this many characters in one turn are dropped rather than held
 *   (a runaway logger must not exhaust memory). Default 16 MiB.
 * @param defer schedules the flush. Default `setImmediate`.
 */
export function createTurnBatchedStream(
  sink: LineSink,
  maxBufferedChars = 16 * 1024 * 1024,
  defer: (flush: () => void) => unknown = setImmediate,
): TurnBatchedStream {
  let buffered = '';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (buffered === '') return;
    const chunk = buffered;
    buffered = '';
    try {
      sink.write(chunk);
    } catch {
      // stdout failing must not take the agent down with it; these lines are lost.
    }
  };
  return {
    write(line) {
      if (buffered.length + line.length > maxBufferedChars) return false;
      buffered += line;
      if (!scheduled) {
        scheduled = true;
        defer(flush);
      }
      return true;
    },
    flush(done) {
      flush();
      done?.();
    },
  };
}
