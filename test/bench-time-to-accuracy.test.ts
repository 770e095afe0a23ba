// The pure parts of bench/local-sgd.mjs: `shardgrad train --json` output read back, the time and
// bytes until a target accuracy, and medians with their spread over seeds. Hand-made events with
// hand-worked answers.
import { describe, expect, it } from 'vitest';
import { course, doneAfter, formatTable, parseEvents, summarize, timeToTarget } from '../bench/time-to-accuracy.mjs';

const epoch = (n: number, elapsed: number, accuracy: number, sent: number, received = sent, exchanges = 10) =>
  JSON.stringify({ type: 'epoch', epoch: n, step: 10 * n, loss: 0.5, accuracy, valLoss: 0.4, samplesPerSec: 1000, elapsed, comm: { sentBytes: sent, receivedBytes: received, exchanges } });

describe('bench/local-sgd.mjs: time to accuracy', () => {
  // a run over MPI: mpirun's notice between the lines, step lines, three epochs, a line cut off by the stop
  const text = [
    JSON.stringify({ type: 'step', epoch: 1, step: 1, loss: 2.3, accuracy: null, samplesPerSec: 900, elapsed: 0.01 }),
    epoch(1, 1.5, 0.9, 1000, 1200),
    '--------------------------------------------------------------------------',
    epoch(2, 3.25, 0.965, 1000, 1200),
    epoch(3, 5.0, 0.972, 1000, 1200),
    '{"type":"step","epoch":4,"ste',
  ].join('\n');

  it('reads the JSON lines and skips what is not one', () => {
    const events = parseEvents(text);
    expect(events.map((e: { type: string }) => e.type)).toEqual(['step', 'epoch', 'epoch', 'epoch']);
  });

  it('the course sums the epochs’ bytes and exchanges and turns seconds into ms', () => {
    expect(course(parseEvents(text))).toEqual([
      { epoch: 1, ms: 1500, accuracy: 0.9, sentBytes: 1000, receivedBytes: 1200, exchanges: 10 },
      { epoch: 2, ms: 3250, accuracy: 0.965, sentBytes: 2000, receivedBytes: 2400, exchanges: 20 },
      { epoch: 3, ms: 5000, accuracy: 0.972, sentBytes: 3000, receivedBytes: 3600, exchanges: 30 },
    ]);
  });

  it('time to target: the first epoch at or above it; not reached: the run’s end and its best', () => {
    const points = course(parseEvents(text));
    expect(timeToTarget(points, 0.97)).toEqual({ reached: true, epochs: 3, ms: 5000, sentBytes: 3000, receivedBytes: 3600, exchanges: 30, best: 0.972, final: 0.972 });
    // exactly the target counts
    expect(timeToTarget(points, 0.965)).toMatchObject({ reached: true, epochs: 2, ms: 3250, sentBytes: 2000 });
    expect(timeToTarget(points, 0.98)).toEqual({ reached: false, epochs: 3, ms: 5000, sentBytes: 3000, receivedBytes: 3600, exchanges: 30, best: 0.972, final: 0.972 });
    // a run that got worse at the end: its best is not its last
    const worse = course(parseEvents([epoch(1, 1, 0.95, 5), epoch(2, 2, 0.93, 5)].join('\n')));
    expect(timeToTarget(worse, 0.97)).toMatchObject({ reached: false, best: 0.95, final: 0.93, ms: 2000, sentBytes: 10 });
    expect(timeToTarget([], 0.97)).toMatchObject({ reached: false, epochs: 0 });
  });

  it('a run is stopped when it reaches the target or spent its seconds', () => {
    expect(doneAfter({ accuracy: 0.97, elapsed: 1 }, 0.97, 60)).toBe(true);
    expect(doneAfter({ accuracy: 0.96, elapsed: 59.9 }, 0.97, 60)).toBe(false);
    expect(doneAfter({ accuracy: 0.96, elapsed: 60 }, 0.97, 60)).toBe(true);
  });

  it('per link and configuration: median and min–max over the seeds; time and bytes over the runs that reached the target', () => {
    const run = (link: string, config: string, seed: number, reached: boolean, ms: number, sentBytes: number, final: number) => ({
      link, config, seed, result: { reached, epochs: 2, ms, sentBytes, receivedBytes: sentBytes, exchanges: 1, best: final, final },
    });
    const rows = summarize([
      run('100mbit', 'step', 1, true, 10_000, 4e6, 0.971),
      run('100mbit', 'step', 2, true, 30_000, 6e6, 0.975),
      run('100mbit', 'step', 3, false, 90_000, 9e6, 0.968), // not reached: left out of time and bytes
      run('shm', 'step', 1, false, 4_000, 0, 0.95),
    ]);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      link: '100mbit', config: 'step', runs: 3, reached: 2,
      seconds: { median: 20, min: 10, max: 30, n: 2 },
      sentMB: { median: 5, min: 4, max: 6, n: 2 },
      final: { median: 0.971, min: 0.968, max: 0.975, n: 3 },
    });
    // none reached: the budget's time, said in the table
    expect(rows[1]).toMatchObject({ link: 'shm', reached: 0, seconds: { median: 4, n: 1 } });
    const table = formatTable(rows, 0.97).split('\n');
    expect(table[0]).toContain('reached 97.0%');
    expect(table[2]).toBe('| 100mbit | step | 2/3 | 20.0 (10.0–30.0) | 2 | 5.0 (4.0–6.0) | 5.0 (4.0–6.0) | 97.10% (96.80–97.50) |');
    expect(table[3]).toBe('| shm | step | 0/1 | 4.0 (budget) | 2 | 0.0 | 0.0 | 95.00% |');
  });
});
