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

/** Options of {@link createTurnBatchedStream}. */
export interface TurnBatchedStreamOptions {
  /**
   * Lines beyond this many characters in one turn are dropped rather than held (a runaway logger
   * must not exhaust memory). Default 16 MiB.
   */
  readonly maxBufferedChars?: number;
  /** Schedules the flush. Default `setImmediate`. */
  readonly defer?: (flush: () => void) => unknown;
  /**
   * Told, after the turn's lines were written, how many lines that turn dropped, so the owner can
   * count and report them (lines it logs then go into an empty buffer). Not called when none were.
   */
  readonly onDropped?: (lines: number) => void;
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
 */
export function createTurnBatchedStream(
  sink: LineSink,
  options: TurnBatchedStreamOptions = {},
): TurnBatchedStream {
  const { maxBufferedChars = 16 * 1024 * 1024, defer = setImmediate, onDropped } = options;
  let buffered = '';
  let dropped = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (buffered !== '') {
      const chunk = buffered;
      buffered = '';
      try {
        sink.write(chunk);
      } catch {
        // stdout failing must not take the agent down with it; these lines are lost.
      }
    }
    if (dropped > 0) {
      const lines = dropped;
      dropped = 0;
      onDropped?.(lines);
    }
  };
  return {
    write(line) {
      if (!scheduled) {
        scheduled = true;
        defer(flush);
      }
      if (buffered.length + line.length > maxBufferedChars) {
        dropped += 1;
        return false;
      }
      buffered += line;
      return true;
    },
    flush(done) {
      flush();
      done?.();
    },
  };
}
