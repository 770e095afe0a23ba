import { enableRelaxedSimd, errors, loadResidentWasmKernels, localTrainFloats, optimizerConfig, referenceKernels, Rng, trainLocal, type Kernels, type MLPSpec, type OptimizerConfig } from '@shardgrad/core';
import { createKernels, withNativeKernels, type KernelChoice, type RankShape } from '@shardgrad/worker';
import { sharedFloat32, type Dataset } from '../data/dataset.js';
import { nodeEngine } from '../engine/create-engine.js';
import { defaultShards } from '../run/default-shards.js';
import { TrainingRun } from '../run/training-run.js';
import { Trainer } from '../train/trainer.js';

export interface WorkerBenchOptions {
  readonly spec: MLPSpec;
  readonly batch: number;
  /** timed steps per worker count (after `warmup` untimed ones) */
  readonly steps: number;
  /** e.g. [0, 1, 2, 8]; speed-up is relative to the first entry */
  readonly workerCounts: readonly number[];
  readonly kernel: KernelChoice;
  readonly shards?: number;
  readonly warmup?: number;
  readonly optimizer?: OptimizerConfig;
  /** rows to train on; default: `batch` rows of seeded random inputs and one-hot targets */
  readonly data?: Dataset;
  /** one MPI rank of several (MPI initialized in this process): this rank's part of each step */
  readonly ranks?: RankShape;
}

/** Median and spread of a sample. */
export interface Spread {
  readonly median: number;
  readonly p10: number;
  readonly p90: number;
}

export interface WorkerBenchRow {
  readonly workers: number;
  readonly samplesPerSec: number;
  readonly speedup: number;
  /** speed-up per worker (workers 0 counts as 1 thread) */
  readonly efficiency: number;
  /** wall time of one step, ms */
  readonly stepMs: Spread;
  /** gradient + update math on the critical path of one step (slowest worker of each phase), ms */
  readonly mathMs: Spread;
  /** time per step outside that math: waking the workers, the barrier, waiting for the slowest, µs */
  readonly overheadUs: Spread;
  /** the kernels in use (Kernels.name), --kernel auto resolved */
  readonly kernel: string;
  /** across ranks: each step's exchange between ranks as this rank saw it, ms (in step order, for combining ranks) */
  readonly exchangeMs?: readonly number[];
  /** across ranks with slices: each step's gathering of θ and agreement on the outcome as this rank saw it, ms */
  readonly slicesRestMs?: readonly number[];
  /** across ranks: bytes a rank receives in a step's exchange, its own part included (gather: every block; slices: every rank's chunk for its slice), and its own part */
  readonly exchangeBytes?: { readonly total: number; readonly own: number; readonly params: number };
}

export function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
  return { median: at(0.5), p10: at(0.1), p90: at(0.9) };
}

function randomData(spec: MLPSpec, rows: number): { X: Float32Array; Y: Float32Array; rows: Uint32Array } {
  const D = spec.sizes[0];
  const C = spec.sizes[spec.sizes.length - 1];
  const rng = new Rng(99);
  const X = sharedFloat32(rows * D); // (N, D)
  const Y = sharedFloat32(rows * C); // (N, C)
  for (let i = 0; i < X.length; i++) X[i] = rng.uniform(0, 1);
  for (let r = 0; r < rows; r++) Y[r * C + rng.int(C)] = 1;
  return { X, Y, rows: Uint32Array.from({ length: rows }, (_, i) => i) };
}

/**
 * Times single training steps (TrainingRun.step: one hand-off from this thread per step — the
 * path the web demo and `explain --batch` take, not `shardgrad train`'s) for each worker count on
 * the same data and parameters, and splits each step's wall time into math and overhead; across
 * ranks also each step's exchange. bench/distributed.mjs's measurement. Medians with 10th/90th
 * percentiles. For what a training run does, see benchmarkTraining.
 */
export async function benchmarkWorkers(o: WorkerBenchOptions): Promise<WorkerBenchRow[]> {
  const V = o.shards ?? 16;
  const warmup = o.warmup ?? 5;
  const optimizer = o.optimizer ?? optimizerConfig('sgd');
  const d = o.data ? { X: o.data.X, Y: o.data.Y, rows: o.data.trainRows } : randomData(o.spec, o.batch);
  // evaluation kernels of this choice: their name is the row's, and a bad --kernel fails here, in one line
  const { kernels: evalKernels } = await createKernels(o.kernel);
  const rows: WorkerBenchRow[] = [];
  for (const workers of o.workerCounts) {
    const settings = { spec: o.spec, optimizer, lr: 1e-3, schedule: { kind: 'constant' as const }, batch: o.batch, epochs: 1e9, shards: V, seed: 1, init: 'glorot' as const };
    const run = await TrainingRun.create(settings, { X: d.X, Y: d.Y, train: d.rows, val: new Uint32Array(0) }, { workers, kernel: o.kernel, engine: nodeEngine(workers), evalKernels, ...(o.ranks ? { ranks: o.ranks } : {}) });
    const x = run.layout.exchange;
    const exchangeMs: number[] = [];
    const slicesRestMs: number[] = [];
    const stepMs: number[] = [];
    const mathMs: number[] = [];
    const overheadUs: number[] = [];
    try {
      for (let t = 1; t <= warmup + o.steps; t++) {
        const t0 = performance.now();
        await run.step();
        const wall = performance.now() - t0;
        if (t <= warmup) continue;
        stepMs.push(wall);
        mathMs.push(run.engine.lastMathMs);
        overheadUs.push(Math.max(0, wall - run.engine.lastMathMs) * 1000);
        if (x) {
          exchangeMs.push(run.engine.lastExchangeMs ?? NaN);
          slicesRestMs.push(run.engine.lastSlicesRestMs ?? 0);
        }
      }
    } finally {
      await run.close();
    }
    const step = spread(stepMs);
    const samplesPerSec = o.batch / (step.median / 1000);
    const speedup = rows.length ? samplesPerSec / rows[0].samplesPerSec : 1;
    const exchange = x && o.ranks ? { exchangeMs, slicesRestMs, exchangeBytes: { total: x.recv.reduce((n, c) => n + c.bytes, 0), own: x.recv[o.ranks.rank].bytes, params: run.layout.P } } : {};
    rows.push({ workers, samplesPerSec, speedup, efficiency: speedup / Math.max(1, workers), stepMs: step, mathMs: spread(mathMs), overheadUs: spread(overheadUs), kernel: evalKernels.name, ...exchange });
  }
  return rows;
}

export interface TrainBenchOptions {
  readonly spec: MLPSpec;
  readonly batch: number;
  /** the data set, its held-out rows validated at each epoch's end as `shardgrad train` does */
  readonly data: Dataset;
  /** epochs per worker count; the first is a warm-up, the others are timed (default 5) */
  readonly epochs?: number;
  /** e.g. [1, 2]; speed-up is relative to the first entry */
  readonly workerCounts: readonly number[];
  readonly kernel: KernelChoice;
  /** virtual shards (default: defaultShards(batch), as `shardgrad train`) */
  readonly shards?: number;
  readonly optimizer?: OptimizerConfig;
  readonly lr?: number;
  readonly seed?: number;
}

export interface TrainBenchRow {
  readonly workers: number;
  /** the timed epochs' samples/s as the run reports them (median and spread): what `shardgrad train` shows */
  readonly epochSamplesPerSec: Spread;
  /** the median of the timed epochs' samples/s */
  readonly samplesPerSec: number;
  readonly speedup: number;
  readonly efficiency: number;
  /** wall time of one step, from the previous step's end to its own (ms) */
  readonly stepMs: Spread;
  /** the step's math on its slowest worker (ms) */
  readonly mathMs: Spread;
  /** the rest of a step: barriers, waiting for the slowest, hand-offs (µs) */
  readonly overheadUs: Spread;
  readonly kernel: string;
  readonly shards: number;
}

/**
 * Trains through the Trainer — the path of `shardgrad train`: the workers run each epoch, the
 * held-out rows are validated at its end — for each worker count, and reports the epochs' own
 * samples/s (the figure `shardgrad train` prints), with each step's wall and math time from the
 * step events. What `shardgrad bench` and `pnpm bench` report.
 */
export async function benchmarkTraining(o: TrainBenchOptions): Promise<TrainBenchRow[]> {
  const epochs = o.epochs ?? 5;
  if (!(epochs >= 2)) throw errors.badInput('--epochs', `must be at least 2 (one warm-up epoch, then timed ones), got ${epochs}`);
  const shards = o.shards ?? defaultShards(o.batch);
  const rows: TrainBenchRow[] = [];
  for (const workers of o.workerCounts) {
    const trainer = new Trainer({
      data: o.data, spec: o.spec, optimizer: o.optimizer ?? optimizerConfig('sgd'), lr: o.lr ?? 0.1, schedule: { kind: 'constant' }, batch: o.batch, epochs,
      workers, shards, seed: o.seed ?? 1, init: 'glorot', valSplit: 0, preprocess: 'none', kernel: o.kernel,
    });
    const epochRates: number[] = [];
    const stepMs: number[] = [];
    const mathMs: number[] = [];
    trainer.on((e) => {
      if (e.type === 'checkpoint' || e.epoch < 2) return; // the warm-up epoch
      if (e.type === 'epoch') epochRates.push(e.samplesPerSec);
      else if (e.type === 'step') {
        stepMs.push((1000 * e.batchSize) / e.samplesPerSec);
        mathMs.push(e.mathMs ?? NaN);
      }
    });
    const result = await trainer.run();
    const epochSamplesPerSec = spread(epochRates);
    const speedup = rows.length ? epochSamplesPerSec.median / rows[0].samplesPerSec : 1;
    rows.push({
      workers, epochSamplesPerSec, samplesPerSec: epochSamplesPerSec.median, speedup, efficiency: speedup / Math.max(1, workers),
      stepMs: spread(stepMs), mathMs: spread(mathMs), overheadUs: spread(stepMs.map((s, i) => Math.max(0, s - mathMs[i]) * 1000)), kernel: result.kernel, shards,
    });
  }
  return rows;
}

/**
 * The single-threaded loop without the engine (core's trainLocal, θ and its workspace resident in
 * the kernels' memory) on the same data: the baseline the engine's speed-up is measured against.
 * One instance of the kernels for the whole measurement, as a training run has: an untimed epoch
 * of `steps` batches (the kernels warm up), then `rounds` timed epochs; samples/s median and spread.
 */
export async function benchmarkLocal(o: Omit<WorkerBenchOptions, 'workerCounts' | 'shards' | 'warmup'> & { readonly rounds?: number }): Promise<{ samplesPerSec: Spread }> {
  const optimizer = o.optimizer ?? optimizerConfig('sgd');
  const d = o.data ? { X: o.data.X, Y: o.data.Y, rows: o.data.trainRows } : randomData(o.spec, o.batch);
  const rows = Math.min(d.rows.length, o.steps * o.batch);
  const train = d.rows.subarray(0, rows - (rows % o.batch || 0));
  const rates: number[] = [];
  const rounds = o.rounds ?? 3;
  let kernels: Kernels = referenceKernels;
  let allocate: ((n: number) => Float32Array) | undefined;
  if (o.kernel !== 'reference') {
    await enableRelaxedSimd();
    ({ kernels, allocate } = await loadResidentWasmKernels(localTrainFloats(o.spec, o.batch, optimizer), 1 << 20));
    if (o.kernel !== 'wasm') kernels = await withNativeKernels(o.kernel, kernels); // native / auto: over the resident wasm
  }
  let last = performance.now();
  trainLocal({
    spec: o.spec, X: d.X, Y: d.Y, train, batch: o.batch, epochs: rounds + 1, lr: 1e-3, optimizer, seed: 1, kernels, ...(allocate ? { allocate } : {}),
    onEpoch: (e) => {
      const now = performance.now();
      if (e > 0) rates.push(train.length / ((now - last) / 1000));
      last = now;
    },
  });
  return { samplesPerSec: spread(rates) };
}

/**
 * Amdahl's projection of parallel efficiency (against the 1-worker engine) at W workers, from
 * measured rows: the step's math splits evenly over the workers, and the serial time per step
 * (waking the workers, the barrier, waiting for the slowest) grows linearly in W as it did from the
 * smallest to the largest worker count measured. A projection, not a measurement.
 */
export function projectEfficiency(rows: readonly Pick<WorkerBenchRow, 'workers' | 'mathMs' | 'overheadUs'>[], W: number): number | undefined {
  const measured = rows.filter((r) => r.workers >= 1).sort((a, b) => a.workers - b.workers);
  if (measured.length === 0) return undefined;
  const first = measured[0];
  const last = measured[measured.length - 1];
  const math = first.mathMs.median * 1000 * first.workers; // µs of one step's math on one worker
  const s0 = first.overheadUs.median;
  const slope = last.workers > first.workers ? Math.max(0, (last.overheadUs.median - s0) / (last.workers - first.workers)) : 0;
  const serial = s0 + slope * (W - first.workers);
  return (math + s0) / (W * (math / W + serial));
}
