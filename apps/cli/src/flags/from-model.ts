import { errors, skipsSuffix, type DataDescription, type MLPSpec, type Preprocess } from '@shardgrad/core';
import type { Dataset } from '@shardgrad/coordinator';
import { readModel } from '../io/model.js';

/** The train flags that choose what `--from` takes from the model file: giving one with --from is an error. */
const TAKEN_FROM_MODEL = [
  ['layers', '--layers'],
  ['hidden', '--hidden'],
  ['activation', '--activation'],
  ['output', '--output'],
  ['loss', '--loss'],
  ['skip', '--skip'],
  ['connect', '--connect'],
  ['init', '--init'],
  ['preprocess', '--preprocess'],
] as const;

type FromFlags = { from?: unknown; resume?: unknown } & Partial<Record<(typeof TAKEN_FROM_MODEL)[number][0], unknown>>;

/** A trained model to fine-tune: the network, θ and the input scaling come from it. */
export interface FineTuneModel {
  readonly path: string;
  readonly spec: MLPSpec;
  readonly params: Float32Array;
  readonly preprocess: Preprocess;
  /** what the model's outputs mean (class names, CSV columns), when the file says */
  readonly data?: DataDescription;
}

/**
 * `--from MODEL`, read before the data: a network flag, --init, --preprocess or --resume given with it
 * is one line naming that flag. A checkpoint file works too; only its θ is used.
 */
export function fineTuneModelFromFlags(f: FromFlags): FineTuneModel | undefined {
  if (f.from === undefined) return undefined;
  if (Array.isArray(f.from)) throw errors.badInput('--from', `given ${f.from.length} times, give it once`);
  const file = String(f.from);
  if (file.trim() === '') throw errors.badInput('--from', 'needs a model file');
  for (const [key, flag] of TAKEN_FROM_MODEL)
    if (f[key] !== undefined) throw errors.badInput(flag, `cannot be combined with --from: the network, its parameters and the input scaling come from ${file}`);
  if (f.resume !== undefined) throw errors.badInput('--from', 'cannot be combined with --resume (a checkpoint already holds θ and the input scaling; resume with the network flags of the model)');
  const m = readModel(file);
  return { path: file, spec: m.spec, params: m.tensors.get('params')!, preprocess: m.preprocess, ...(m.data ? { data: m.data } : {}) };
}

/** What the data loader takes from the model: its task, CSV columns, class names and class count (as eval does). */
export function dataHintOf(m: FineTuneModel | undefined): { data?: DataDescription; outputs: number } | undefined {
  if (!m) return undefined;
  return { ...(m.data ? { data: m.data } : {}), outputs: m.spec.sizes[m.spec.sizes.length - 1] };
}

/** The model's network, checked against the loaded data: sizes, and cross-entropy only on class targets. */
export function fineTuneSpec(m: FineTuneModel, data: Pick<Dataset, 'inputs' | 'outputs' | 'task' | 'name'>): MLPSpec {
  const { sizes } = m.spec;
  const n0 = sizes[0];
  const nL = sizes[sizes.length - 1];
  if (data.inputs !== n0 || data.outputs !== nL)
    throw errors.badInput('--from', `${m.path} takes ${n0} inputs and gives ${nL} outputs, but ${data.name} has ${data.inputs} inputs and ${data.outputs} outputs`);
  if (m.spec.loss === 'ce' && data.task === 'regression') throw errors.badInput('--from', `${m.path} is trained with cross-entropy on classes, but ${data.name} has regression targets`);
  return m.spec;
}

/** The line train prints before fine-tuning. */
export function fineTuneNote(m: FineTuneModel): string {
  const { spec } = m;
  return `fine-tuning ${m.path}: ${spec.sizes.join('-')} ${spec.activations.join(',')}${skipsSuffix(spec)} (loss ${spec.loss}), preprocessing ${m.preprocess.kind}; the optimizer state starts at zero`;
}
