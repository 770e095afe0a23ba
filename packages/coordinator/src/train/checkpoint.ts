import { encodeModelFile, errors, skipsSuffix, type MLPSpec, type Preprocess, type Schedule } from '@shardgrad/core';
import type { EpochEvent, TrainConfig } from '../api.js';
import { describeData } from '../data/dataset.js';
import { writeFileAtomic } from '../io/files.js';
import { readModelFile } from '../io/model-io.js';

/** Where the training loop stands: everything besides θ and the optimizer state a resume needs. */
export interface LoopState {
  /** completed global steps */
  step: number;
  /** 0-based epoch in progress */
  epoch: number;
  /** batches already done in that epoch */
  position: number;
  /** Σ per-sample loss over the epoch's batches so far */
  lossSum: number;
  history: EpochEvent[];
  bestValLoss: number;
  sinceBest: number;
}

/** Settings a checkpoint must share with the run that resumes it, or the batches would differ. */
const PINNED = [
  ['batch', '--batch'],
  ['shards', '--shards'],
  ['seed', '--seed'],
  ['valSplit', '--val-split'],
  ['preprocess', '--preprocess'],
] as const;

function pinned(c: Pick<TrainConfig, 'batch' | 'shards' | 'seed' | 'valSplit' | 'preprocess' | 'optimizer'>): Record<string, unknown> {
  return { batch: c.batch, shards: c.shards, seed: c.seed, valSplit: c.valSplit, preprocess: c.preprocess, optimizer: c.optimizer.kind };
}

/** Writes a checkpoint (kind "checkpoint": θ, optimizer state, loop state in meta) atomically. */
export function writeCheckpoint(
  path: string,
  c: TrainConfig,
  preprocess: Preprocess,
  params: Float32Array,
  optState: Float32Array,
  s: LoopState,
): void {
  const tensors = new Map([['params', Float32Array.from(params)]]);
  if (optState.length) tensors.set('optimizer', Float32Array.from(optState));
  const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);
  writeFileAtomic(
    path,
    encodeModelFile({
      kind: 'checkpoint',
      spec: c.spec,
      tensors,
      preprocess,
      meta: {
        step: s.step,
        epoch: s.epoch,
        position: s.position,
        lossSum: s.lossSum,
        bestValLoss: finiteOrNull(s.bestValLoss),
        sinceBest: s.sinceBest,
        history: s.history,
        config: { ...pinned(c), lr: c.lr, epochs: c.epochs, optimizerConfig: c.optimizer, schedule: c.schedule, init: c.init },
      },
      data: describeData(c.data),
    }),
  );
}

export interface Restored {
  readonly params: Float32Array;
  readonly optState: Float32Array;
  readonly preprocess: Preprocess;
  readonly state: LoopState;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * Reads a checkpoint to resume `c` from; every problem (missing, corrupt, truncated, a model
 * instead of a checkpoint, other layers or settings) is a one-line error naming the file.
 */
export function readCheckpoint(path: string, c: TrainConfig, spec: MLPSpec, stateLength: number): Restored {
  const file = readModelFile(path);
  const bad = (problem: string) => errors.badInput(path, problem);
  if (file.kind !== 'checkpoint') throw bad('is a model file, not a checkpoint (resume needs a checkpoint)');
  if (file.spec.sizes.join('-') !== spec.sizes.join('-') || file.spec.activations.join() !== spec.activations.join() || file.spec.loss !== spec.loss || skipsSuffix(file.spec) !== skipsSuffix(spec))
    throw bad(`checkpoint is for layers ${file.spec.sizes.join('-')}${skipsSuffix(file.spec)} (${file.spec.activations.join(',')}), not ${spec.sizes.join('-')}${skipsSuffix(spec)} (${spec.activations.join(',')})`);
  const m = file.meta as Record<string, unknown>;
  const config = (m.config ?? {}) as Record<string, unknown>;
  const want = pinned(c);
  if (config.optimizer !== want.optimizer) throw bad(`checkpoint used ${String(config.optimizer)}; --optimizer ${c.optimizer.kind} given`);
  const optState = file.tensors.get('optimizer') ?? new Float32Array(0);
  if (optState.length !== stateLength) throw bad(`corrupt checkpoint: the ${c.optimizer.kind} state holds ${optState.length} floats, ${stateLength} expected`);
  for (const [key, flag] of PINNED)
    if (config[key] !== want[key]) throw bad(`written with ${flag} ${String(config[key])}, this run has ${flag} ${String(want[key])}`);
  if (!isCount(m.step) || !isCount(m.epoch) || !isCount(m.position) || typeof m.lossSum !== 'number' || !Array.isArray(m.history) || !isCount(m.sinceBest))
    throw bad('corrupt checkpoint metadata (step, epoch, position or history)');
  return {
    params: file.tensors.get('params')!,
    optState,
    preprocess: file.preprocess,
    state: {
      step: m.step,
      epoch: m.epoch,
      position: m.position,
      lossSum: m.lossSum,
      history: m.history as EpochEvent[],
      bestValLoss: typeof m.bestValLoss === 'number' ? m.bestValLoss : Infinity,
      sinceBest: m.sinceBest,
    },
  };
}

/**
 * What a front end says before resuming `c` from the checkpoint at `path`: where the run stands, and
 * the settings that differ from the checkpoint's run (the learning rate and the epoch count may
 * change; they are used as given). Throws a one-line error naming the file when the checkpoint
 * cannot be resumed with these settings, or when it has no epoch left to train.
 */
export function resumeNotes(path: string, c: Pick<TrainConfig, 'batch' | 'shards' | 'seed' | 'valSplit' | 'preprocess' | 'optimizer' | 'lr' | 'epochs'> & Partial<Pick<TrainConfig, 'schedule'>>): string[] {
  const file = readModelFile(path);
  const bad = (problem: string) => errors.badInput(path, problem);
  if (file.kind !== 'checkpoint') throw bad('is a model file, not a checkpoint (resume needs a checkpoint)');
  const m = file.meta as Record<string, unknown>;
  const config = (m.config ?? {}) as Record<string, unknown>;
  const want = pinned(c);
  if (config.optimizer !== want.optimizer) throw bad(`checkpoint used ${String(config.optimizer)}; --optimizer ${c.optimizer.kind} given`);
  for (const [key, flag] of PINNED)
    if (config[key] !== want[key]) throw bad(`written with ${flag} ${String(config[key])}, this run has ${flag} ${String(want[key])}`);
  if (!isCount(m.step) || !isCount(m.epoch)) throw bad('corrupt checkpoint metadata (step, epoch, position or history)');
  if (m.epoch >= c.epochs)
    throw errors.badInput('--epochs', `${path} has already finished ${m.epoch} epoch${m.epoch === 1 ? '' : 's'}, and --epochs ${c.epochs} asks for no more; give a larger --epochs to train on`);
  const notes = [`resuming from ${path} at epoch ${m.epoch + 1}, step ${m.step} (${m.step} steps done)`];
  if (typeof config.lr === 'number' && config.lr !== c.lr) notes.push(`--lr ${c.lr} differs from the checkpoint's ${config.lr}: continuing with ${c.lr}`);
  // the warmup and the batch scaling are part of the recorded schedule (issue 20)
  const stepsOf = (sc: unknown) => JSON.stringify({ warmup: (sc as Schedule | undefined)?.warmup ?? 0, lrScale: (sc as Schedule | undefined)?.lrScale ?? null });
  if (c.schedule && config.schedule !== undefined && stepsOf(config.schedule) !== stepsOf(c.schedule))
    notes.push(`the learning-rate warmup or batch scaling differs from the checkpoint's (${stepsOf(config.schedule)}): continuing with ${stepsOf(c.schedule)}`);
  if (typeof config.epochs === 'number' && config.epochs !== c.epochs) notes.push(`--epochs ${c.epochs} differs from the checkpoint's ${config.epochs}: training until epoch ${c.epochs}`);
  return notes;
}
