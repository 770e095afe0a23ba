import { train, type EpochEvent } from 'shardgrad';
import { describe, expect, it } from 'vitest';

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** n rows of two features on a 1/8 grid (exact in float32). */
const grid = (n: number) => Array.from({ length: n }, (_, i) => [((i * 37) % 16) / 8 - 1, ((i * 11) % 16) / 4]);

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('labels the library will not guess about', () => {
  const x = grid(6);

  it('refuses whole-number targets with a negative one (neither class labels nor, unsaid, regression)', async () => {
    const e = await rejection(train({ x, y: [0, 1, -1, 2, 1, 0], epochs: 1, workers: 0 }));
    expect(e.message).toBe('y: label 2 is -1: class labels are whole numbers 0..C−1; to fit whole numbers as values give task: "regression"');
    const m = await train({ x, y: [0, 1, -1, 2, 1, 0], task: 'regression', epochs: 1, workers: 0, batch: 2 });
    expect([m.task, m.outputs]).toEqual(['regression', 1]);
  });

  it('refuses missing labels: a hole, undefined, null or an empty class name', async () => {
    // eslint-disable-next-line no-sparse-arrays
    const holes = [0, 1, , 1, 0, 1] as number[];
    expect((await rejection(train({ x, y: holes, epochs: 1, workers: 0 }))).message).toBe('y: label 2 is missing (every row of x needs a target)');
    const names = ['a', 'b', undefined, 'a', 'b', 'a'] as unknown as string[];
    expect((await rejection(train({ x, y: names, epochs: 1, workers: 0 }))).message).toBe('y: label 2 is missing (every row of x needs a target)');
    const nulls = ['a', null, 'b', 'a', 'b', 'a'] as unknown as string[];
    expect((await rejection(train({ x, y: nulls, epochs: 1, workers: 0 }))).message).toBe('y: label 1 is missing (every row of x needs a target)');
    expect((await rejection(train({ x, y: ['a', 'b', 'a', '', 'b', 'a'], epochs: 1, workers: 0 }))).message).toBe(
      'y: label 3 is an empty string (a missing label?): class names must not be empty',
    );
  });

  it('warns once when a class below the highest label has no row (0 and 2, no 1)', async () => {
    const warnings: Error[] = [];
    const listen = (w: Error) => warnings.push(w);
    process.on('warning', listen);
    try {
      const m = await train({ x, y: [0, 2, 0, 2, 0, 3], epochs: 1, workers: 0, batch: 2 });
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      expect(m.outputs).toBe(4);
    } finally {
      process.off('warning', listen);
    }
    const ours = warnings.filter((w) => (w as Error & { code?: string }).code === 'SHARDGRAD_MISSING_CLASS');
    expect(ours.map((w) => w.message)).toEqual(['y: no row has class 1 (the labels go up to 3): its output is only ever trained towards 0']);
  });
});

describe('regression reports no accuracy', () => {
  it('valAccuracy is NaN in the epoch events and the history, the losses are numbers', async () => {
    const x = grid(40);
    const y = x.map(([a, b]) => 0.5 * a - 0.25 * b);
    const seen: EpochEvent[] = [];
    const m = await train({ x, y, epochs: 2, valSplit: 0.25, batch: 10, workers: 0, onEpoch: (e) => seen.push(e) });
    expect(m.task).toBe('regression');
    expect(seen.map((e) => e.valAccuracy)).toEqual([NaN, NaN]);
    expect(m.history.map((e) => e.valAccuracy)).toEqual([NaN, NaN]);
    expect(seen.every((e) => Number.isFinite(e.valLoss) && Number.isFinite(e.trainLoss))).toBe(true);
  });
});

describe('an AbortSignal aborted before run()', () => {
  it('rejects with the signal’s reason before any step', async () => {
    const controller = new AbortController();
    controller.abort();
    let steps = 0;
    const e = await rejection(train({ x: grid(8), y: [0, 1, 0, 1, 0, 1, 0, 1], epochs: 1, batch: 2, workers: 0, signal: controller.signal, onStep: () => steps++ }));
    expect(e.name).toBe('AbortError');
    expect(steps).toBe(0);
    const why = new AbortController();
    why.abort(new Error('the user left'));
    expect((await rejection(train({ x: grid(8), y: [0, 1, 0, 1, 0, 1, 0, 1], epochs: 1, batch: 2, workers: 0, signal: why.signal }))).message).toBe('the user left');
  });
});

describe('restoreBest', () => {
  // random-looking labels on few rows: the validation loss soon rises, and early stopping ends the run
  const x = grid(48);
  const y = x.map((_, i) => (i * 7919) % 3);
  const base = { x, y, hidden: [32], lr: 0.5, batch: 8, valSplit: 0.25, seed: 3, workers: 0 } as const;

  it('returns the weights of the epoch with the lowest validation loss: those of a run that trains exactly that many epochs', async () => {
    const m = await train({ ...base, epochs: 60, earlyStop: 3, restoreBest: true });
    expect(m.info.stoppedBy).toBe('early-stop');
    const losses = m.history.map((e) => e.valLoss);
    const best = losses.indexOf(Math.min(...losses)) + 1; // the first epoch with the lowest validation loss
    expect(best).toBeLessThan(m.history.length);
    expect(m.info.restoredEpoch).toBe(best);
    const short = await train({ ...base, epochs: best });
    expect(bytes(m.params).equals(bytes(short.params))).toBe(true);
  });

  it('is off by default: the weights after the last step, as before', async () => {
    const m = await train({ ...base, epochs: 60, earlyStop: 3 });
    expect(m.info.restoredEpoch).toBeUndefined();
    const same = await train({ ...base, epochs: m.history.length });
    expect(bytes(m.params).equals(bytes(same.params))).toBe(true);
  });

  it('needs validation rows and a boolean', async () => {
    expect((await rejection(train({ ...base, valSplit: 0, epochs: 1, restoreBest: true }))).message).toBe('restoreBest: needs validation rows (valSplit or validation)');
    expect((await rejection(train({ ...base, epochs: 1, restoreBest: 'yes' as unknown as boolean }))).message).toBe('restoreBest: must be true or false, got "yes"');
  });
});
