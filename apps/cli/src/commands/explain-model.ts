import { applyPreprocess, errors, explain, explainNetOf } from '@shardgrad/core';
import { finite, positive } from '../flags/numbers.js';
import { classNamesOf, isClassifier, readModel } from '../io/model.js';
import { formatTrace } from '../render/trace.js';

/** The explain flags that only mean something with --model. */
export const MODEL_ONLY = [
  ['input', '--input'],
  ['target', '--target'],
  ['lr', '--lr'],
] as const;

const DEFAULT_LR = 0.1;

function once(flag: string, v: unknown): string {
  if (Array.isArray(v)) throw errors.badInput(flag, `given ${v.length} times, give it once`);
  if (v === undefined || String(v).trim() === '') throw errors.badInput(flag, 'needs a value');
  return String(v);
}

/** Comma-separated numbers, exactly n of them. */
function numbers(flag: string, v: unknown, n: number, what: string): number[] {
  const parts = once(flag, v).split(',');
  if (parts.length !== n) throw errors.badInput(flag, `the model takes ${n} ${what}, got ${parts.length}`);
  return parts.map((p) => finite(flag, p));
}

/** A classifier's target: a class name the model recorded or a class index, as the output vector. */
function classTarget(v: string, outputs: number, names: readonly string[] | undefined): number[] {
  const classes = outputs === 1 ? 2 : outputs;
  let k = names ? names.indexOf(v.trim()) : -1;
  if (k < 0 && /^\d+$/.test(v.trim()) && Number(v) < classes) k = Number(v);
  if (k < 0) throw errors.badInput('--target', `"${v}" is not a class of the model (${names ? names.join(', ') : `0..${classes - 1}`})`);
  return outputs === 1 ? [k] : Array.from({ length: outputs }, (_, j) => (j === k ? 1 : 0));
}

/**
 * `explain --model M --input x₁,…[--target t]`: the lecture's numbers for one row through a model
 * file. The raw row is scaled by the model's preprocessing in float32 (as training and predict do);
 * the trace itself is float64, with the training code's forward and backward.
 */
export function explainModel(f: { model: unknown; input: unknown; target: unknown; lr: unknown; json: boolean }): string {
  const file = once('--model', f.model);
  const m = readModel(file);
  const { spec } = m;
  const n0 = spec.sizes[0];
  const nL = spec.sizes[spec.sizes.length - 1];
  if (f.input === undefined) throw errors.badInput('--input', `needs the ${n0} features of one row, comma separated`);
  const raw = numbers('--input', f.input, n0, 'inputs');
  const scaled = Float32Array.from(raw);
  applyPreprocess(m.preprocess, scaled, 1, n0);
  const x = Array.from(scaled);
  const classifier = isClassifier(m);
  const names = classNamesOf(m);
  const hasTarget = f.target !== undefined;
  const target = !hasTarget ? new Array<number>(nL).fill(0) : classifier ? classTarget(once('--target', f.target), nL, names) : numbers('--target', f.target, nL, 'targets');
  if (!hasTarget && f.lr !== undefined) throw errors.badInput('--lr', 'only with --target (the update step needs a loss)');
  const lr = f.lr === undefined ? DEFAULT_LR : positive('--lr', f.lr);
  const t = explain(explainNetOf(spec, m.tensors.get('params')!, x, target, lr));
  const yHat = t.forward[t.forward.length - 1].y;
  const k = nL === 1 ? (yHat[0] >= 0.5 ? 1 : 0) : yHat.indexOf(Math.max(...yHat));
  const predicted = classifier ? (names ? names[k] : String(k)) : null;
  if (f.json) {
    const output = spec.activations[spec.activations.length - 1];
    const common = { model: file, rawInput: raw, input: x, output, ...(classifier ? { class: k, label: predicted } : {}) };
    if (!hasTarget) return JSON.stringify({ ...common, forward: t.forward });
    const { forward, loss, backward, gradients, updated } = t;
    return JSON.stringify({ ...common, target, forward, loss, backward, gradients, updated });
  }
  const head = [`Model ${file}`];
  if (m.preprocess.kind !== 'none') head.push(`Raw input (${raw.join(', ')}), scaled by the model's ${m.preprocess.kind} preprocessing:`);
  const lines = [...head, formatTrace(t, { forwardOnly: !hasTarget })];
  if (predicted !== null) lines.push('', `Prediction: class ${predicted}${names ? ` (index ${k})` : ''}`);
  return lines.join('\n');
}
