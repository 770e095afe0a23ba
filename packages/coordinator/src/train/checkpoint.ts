import { encodeModelFile, errors, skipsSuffix, unprotectedHeaderWarning, type MLPSpec, type ModelFileContents, type NoiseEmaState, type Preprocess } from '@shardgrad/core';
import type { EpochEvent, TrainConfig } from '../api.js';
import type { LoopState } from '../run/events.js';
import { describeData } from '../data/dataset.js';
import { writeFileAtomic } from '../io/files.js';
import { readModelFile } from '../io/model-io.js';
import { firstSettingDifference, runSettingsRecord, type Json } from './run-settings-record.js';

export type { LoopState } from '../run/events.js';

/**
 * Checkpoints written before the settings record (format versions 1 and 2) pinned only these; they
 * are still checked for such files. Newer checkpoints record every setting that decides the bytes.
 */
const PINNED = ['batch', 'shards', 'seed', 'valSplit', 'preprocess'] as const;

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
        ...(s.noise ? { noise: s.noise } : {}),
        config: { ...pinned(c), lr: c.lr, epochs: c.epochs, optimizerConfig: c.optimizer, schedule: c.schedule, init: c.init },
        settings: runSettingsRecord(c),
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
  checkSameSettings(path, file, c);
  const optState = file.tensors.get('optimizer') ?? new Float32Array(0);
  if (optState.length !== stateLength) throw bad(`corrupt checkpoint: the ${c.optimizer.kind} state holds ${optState.length} floats, ${stateLength} expected`);
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
      ...(noiseState(m.noise) ? { noise: m.noise as NoiseEmaState } : {}),
    },
  };
}

/** The noise estimate's moving averages as a checkpoint holds them (absent in older ones: the averages start over). */
function noiseState(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return isCount(o.count) && ['gradSqAvg', 'traceAvg', 'weight'].every((k) => typeof o[k] === 'number' && Number.isFinite(o[k]));
}

/** How a front end names a TrainConfig field in messages (the CLI: its flag); the field itself by default. */
export type NameOfSetting = (field: string) => string;

const short = (v: Json | undefined) => {
  const text = v === undefined || v === null ? 'none' : typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

/**
 * Refuses to resume `c` from `file` unless every setting that decides the bytes is the one the
 * checkpoint was written with: one line naming the first that differs and both values. Checkpoints
 * from before the settings record are checked on the settings they pinned.
 */
function checkSameSettings(path: string, file: ModelFileContents, c: TrainConfig, nameOf: NameOfSetting = (f) => f): void {
  const bad = (problem: string) => errors.badInput(path, problem);
  const m = file.meta as Record<string, unknown>;
  const recorded = m.settings;
  if (typeof recorded === 'object' && recorded !== null && !Array.isArray(recorded)) {
    const d = firstSettingDifference(recorded as { [field: string]: Json }, runSettingsRecord(c));
    if (d) throw bad(`written with ${nameOf(d.field)} ${d.inside ? `(${d.inside}) ` : ''}${short(d.was)}, this run has ${short(d.now)}: a resumed run needs every setting of the run it continues`);
    return;
  }
  const config = (m.config ?? {}) as Record<string, unknown>;
  const want = pinned(c);
  if (config.optimizer !== want.optimizer) throw bad(`written with ${nameOf('optimizer')} ${String(config.optimizer)}, this run has ${c.optimizer.kind}: a resumed run needs every setting of the run it continues`);
  for (const key of PINNED)
    if (config[key] !== want[key]) throw bad(`written with ${nameOf(key)} ${String(config[key])}, this run has ${String(want[key])}: a resumed run needs every setting of the run it continues`);
}

/**
 * What a front end says before resuming `c` from the checkpoint at `path`: where the run stands, a
 * warning for a checkpoint in an older format (its header unprotected, only some settings recorded),
 * and a longer --epochs. Throws a one-line error naming the file when the checkpoint cannot be
 * resumed with these settings (any setting that decides the bytes differs: `nameOf` names it), or
 * when it has no epoch left to train (then it says the checkpoint is the trained model).
 */
export function resumeNotes(path: string, c: TrainConfig, nameOf: NameOfSetting = (f) => f): string[] {
  const file = readModelFile(path);
  const bad = (problem: string) => errors.badInput(path, problem);
  if (file.kind !== 'checkpoint') throw bad('is a model file, not a checkpoint (resume needs a checkpoint)');
  const m = file.meta as Record<string, unknown>;
  checkSameSettings(path, file, c, nameOf);
  if (!isCount(m.step) || !isCount(m.epoch)) throw bad('corrupt checkpoint metadata (step, epoch, position or history)');
  if (m.epoch >= c.epochs)
    throw errors.badInput(
      nameOf('epochs'),
      `${path} has already finished ${m.epoch} epoch${m.epoch === 1 ? '' : 's'}, and ${nameOf('epochs')} ${c.epochs} asks for no more: the checkpoint holds the trained parameters and works as the model as it is (eval, predict, export and --from read it), or give a larger ${nameOf('epochs')} to train on`,
    );
  const notes = [];
  if (file.unprotectedHeader) notes.push(unprotectedHeaderWarning(path));
  notes.push(`resuming from ${path} at epoch ${m.epoch + 1}, step ${m.step} (${m.step} steps done)`);
  const config = (m.config ?? {}) as Record<string, unknown>;
  if (m.settings === undefined && typeof config.lr === 'number' && config.lr !== c.lr) notes.push(`${nameOf('lr')} ${c.lr} differs from the checkpoint's ${config.lr}: continuing with ${c.lr} (an older checkpoint, which does not record every setting)`);
  if (typeof config.epochs === 'number' && config.epochs !== c.epochs) notes.push(`${nameOf('epochs')} ${c.epochs} differs from the checkpoint's ${config.epochs}: training until epoch ${c.epochs}`);
  return notes;
}
