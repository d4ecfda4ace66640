import { describe, expect, it } from 'vitest';
import { createTurnBatchedStream, type LineSink } from '../../agent/log/turn-batched-stream.js';

/** A sink that records each write, and can be made to fail. */
class RecordingSink implements LineSink {
  readonly writes: string[] = [];
  failing = false;
  write(chunk: string): void {
    if (this.failing) throw Object.assign(new Error('broken pipe'), { code: 'EPIPE' });
    this.writes.push(chunk);
  }
}

/** A `defer` that runs the scheduled flushes only when the test says the turn ended. */
function manualTurns(): { defer: (fn: () => void) => void; endTurn: () => void; pending: () => number } {
  let queue: (() => void)[] = [];
  return {
    defer: (fn) => {
      queue.push(fn);
    },
    endTurn: () => {
      const run = queue;
      queue = [];
      for (const fn of run) fn();
    },
    pending: () => queue.length,
  };
}

describe('createTurnBatchedStream', () => {
  it('writes every line of one turn in one write when the turn ends', () => {
    const sink = new RecordingSink();
    const turns = manualTurns();
    const stream = createTurnBatchedStream(sink, { maxBufferedChars: 1000, defer: turns.defer });
    stream.write('a\n');
    stream.write('b\n');
    stream.write('c\n');
    expect(sink.writes).toEqual([]);
    expect(turns.pending()).toBe(1);
    turns.endTurn();
    expect(sink.writes).toEqual(['a\nb\nc\n']);
  });

  it('schedules a new flush for the lines of the next turn', () => {
    const sink = new RecordingSink();
    const turns = manualTurns();
    const stream = createTurnBatchedStream(sink, { maxBufferedChars: 1000, defer: turns.defer });
    stream.write('a\n');
    turns.endTurn();
    stream.write('b\n');
    turns.endTurn();
    expect(sink.writes).toEqual(['a\n', 'b\n']);
  });

  it('holds no line past the current turn with the default scheduler', async () => {
    const sink = new RecordingSink();
    const stream = createTurnBatchedStream(sink);
    stream.write('line\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.writes).toEqual(['line\n']);
  });

  it('writes what is buffered on flush (process exit), and nothing twice', () => {
    const sink = new RecordingSink();
    const turns = manualTurns();
    const stream = createTurnBatchedStream(sink, { maxBufferedChars: 1000, defer: turns.defer });
    stream.write('last words\n');
    let done = false;
    stream.flush(() => {
      done = true;
    });
    turns.endTurn();
    expect(sink.writes).toEqual(['last words\n']);
    expect(done).toBe(true);
  });

  it('drops lines past the buffer bound instead of growing without end, and tells how many after the turn', () => {
    const sink = new RecordingSink();
    const turns = manualTurns();
    const told: number[] = [];
    const stream = createTurnBatchedStream(sink, {
      maxBufferedChars: 10,
      defer: turns.defer,
      onDropped: (lines) => {
        told.push(lines);
        stream.write('note\n');
      },
    });
    expect(stream.write('12345\n')).toBe(true);
    expect(stream.write('67890\n')).toBe(false);
    expect(stream.write('abcde\n')).toBe(false);
    expect(told).toEqual([]);
    turns.endTurn();
    expect(sink.writes).toEqual(['12345\n']);
    expect(told).toEqual([2]);
    // What the owner logs then lands in the emptied buffer and goes out with the next turn.
    turns.endTurn();
    expect(sink.writes).toEqual(['12345\n', 'note\n']);
  });

  it('tells nothing in a turn that dropped nothing', () => {
    const told: number[] = [];
    const turns = manualTurns();
    const stream = createTurnBatchedStream(new RecordingSink(), {
      defer: turns.defer,
      onDropped: (lines) => told.push(lines),
    });
    stream.write('a\n');
    turns.endTurn();
    expect(told).toEqual([]);
  });

  it('survives a failing sink and goes on writing later turns', () => {
    const sink = new RecordingSink();
    const turns = manualTurns();
    const stream = createTurnBatchedStream(sink, { maxBufferedChars: 1000, defer: turns.defer });
    sink.failing = true;
    stream.write('a\n');
    expect(() => turns.endTurn()).not.toThrow();
    sink.failing = false;
    stream.write('b\n');
    turns.endTurn();
    expect(sink.writes).toEqual(['b\n']);
  });
});
