import { applyPreprocess, bindWorkspace, classCount, ConfusionMatrix, createWorkspace, errors, evaluate, referenceKernels } from '@shardgrad/core';
import { withTestFraction } from '@shardgrad/coordinator';
import type { Argv } from 'yargs';
import { print } from '../io/stdout.js';
import { dataOptions, dataSourceFromFlags, loadData, testSplitFromFlags, type CsvFlags } from '../flags/data.js';
import { nonNegativeInt, numberOption, positiveInt } from '../flags/numbers.js';
import { classNamesOf, isClassifier, readModel } from '../io/model.js';
import { formatConfusion } from '../render/confusion.js';
import { progressBar } from '../render/progress-bar.js';

interface EvalFlags extends CsvFlags {
  model: string;
  data: string;
  split: 'test' | 'train' | 'all';
  limit?: unknown;
  seed: unknown;
  json: boolean;
}

/** Rows per evaluate() call: the unit of progress. */
const CHUNK = 512;

export function registerEval(y: Argv): Argv {
  return y.command(
    'eval',
    'Loss, accuracy and confusion matrix of a trained model on a dataset',
    (a) =>
      dataOptions(a)
        .option('model', { type: 'string', demandOption: true, describe: 'model file written by shardgrad train' })
        .option('split', { choices: ['test', 'train', 'all'] as const, default: 'test' as const, describe: "which rows: the data's held-out test split, its training rows, or all" })
        .option('limit', numberOption('evaluate only the first N rows of the split'))
        .option('seed', numberOption('seed of a built-in 2D set (use the one it was trained with)', 1))
        .option('json', { type: 'boolean', default: false, describe: 'one JSON object: loss, accuracy, rows, confusion (and the class names, when the model has them)' })
        .example('$0 eval --model model.sgm', 'the default MNIST model on the held-out digits')
        .example('$0 eval --model xor.sgm --data xor --json', 'a model trained on the xor set, as JSON')
        .example('$0 eval --model iris.sgm --data csv:iris.csv', "a CSV model: task, columns, class names and test split come from the model file"),
    (argv) => run(argv as unknown as EvalFlags),
  );
}

function run(f: EvalFlags): void {
  const model = readModel(f.model);
  const seed = nonNegativeInt('--seed', f.seed);
  const limit = f.limit === undefined ? undefined : positiveInt('--limit', f.limit);
  const { spec } = model;
  const n0 = spec.sizes[0];
  const nL = spec.sizes[spec.sizes.length - 1];
  // the held-out share the model was trained with, unless told otherwise
  const testSplit = testSplitFromFlags(f);
  const loaded = loadData(dataSourceFromFlags(f.data, f, { ...(model.data ? { data: model.data } : {}), outputs: nL }), seed, undefined, testSplit);
  const trainedSplit = model.meta.testSplit;
  const data = testSplit === undefined && typeof trainedSplit === 'number' && !loaded.separateTest ? withTestFraction(loaded, trainedSplit) : loaded;
  if (data.inputs !== n0 || data.outputs !== nL)
    throw errors.badInput(f.model, `takes ${n0} inputs and gives ${nL} outputs, but ${data.name} has ${data.inputs} inputs and ${data.outputs} outputs`);
  // scale the inputs exactly as training did, with the statistics saved in the model
  applyPreprocess(model.preprocess, data.X, data.rows, n0);
  const all = Uint32Array.from({ length: data.rows }, (_, i) => i);
  let rows = f.split === 'train' ? data.trainRows : f.split === 'all' ? all : data.testRows.length ? data.testRows : all;
  if (limit !== undefined) rows = rows.subarray(0, Math.min(limit, rows.length));
  const params = model.tensors.get('params')!;
  const ws = createWorkspace(spec, 256);
  bindWorkspace(ws, params, new Float32Array(params.length));
  const confusion = new ConfusionMatrix(classCount(nL));
  const bar = f.json ? null : progressBar(rows.length, 'evaluating {bar} {percentage}% | {value}/{total} rows | ETA {eta_formatted}');
  let lossSum = 0;
  for (let c = 0; c < rows.length; c += CHUNK) {
    const part = rows.subarray(c, Math.min(c + CHUNK, rows.length));
    const e = evaluate(spec, ws, data.X, data.Y, part, part.length, referenceKernels);
    lossSum += e.loss * part.length;
    for (let i = 0; i < confusion.counts.length; i++) confusion.counts[i] += e.confusion.counts[i];
    bar?.update(c + part.length, {});
  }
  bar?.stop();
  const loss = rows.length ? lossSum / rows.length : 0;
  const classes = isClassifier(model);
  const names = classNamesOf(model);
  const which = f.split === 'test' && !data.testRows.length ? 'all' : f.split;
  if (f.json) {
    print(
      JSON.stringify({
        data: data.name,
        split: which,
        rows: rows.length,
        loss,
        accuracy: classes ? confusion.accuracy : null,
        confusion: classes ? confusion.toRows() : null,
        ...(names ? { classes: names } : {}),
      }) + '\n',
    );
    return;
  }
  const lines = [`${f.model} on ${rows.length} rows of ${data.name} (${which} split)`, `loss ${loss.toFixed(4)}`];
  if (classes) lines.push(`accuracy ${(100 * confusion.accuracy).toFixed(2)}% (${confusion.correct}/${confusion.total})`, '', 'confusion matrix (rows: true class, columns: predicted)', formatConfusion(confusion, names));
  print(lines.join('\n') + '\n');
}
