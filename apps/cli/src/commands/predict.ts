import { applyPreprocess, bindWorkspace, classOf, createWorkspace, forward, referenceKernels } from '@shardgrad/core';
import type { Argv } from 'yargs';
import { print } from '../io/stdout.js';
import { labelColumnOption } from '../flags/data.js';
import { readNumericRows } from '../io/csv-rows.js';
import { classNamesOf, isClassifier, readModel } from '../io/model.js';

interface PredictFlags {
  model: string;
  input: string;
  labelColumn?: string;
  json: boolean;
}

/** Chunk of rows per forward pass: bounds the scratch memory for large inputs. */
const CHUNK = 256;

export function registerPredict(y: Argv): Argv {
  return y.command(
    'predict',
    'Predict one output per CSV row with a trained model, to stdout',
    (a) =>
      labelColumnOption(
        a
          .option('model', { type: 'string', demandOption: true, describe: 'model file written by shardgrad train' })
          .option('input', {
            type: 'string',
            demandOption: true,
            describe: "CSV file of input rows, or - for stdin (header optional; with a header, the model's own label column is ignored)",
          }),
        'a column of the input to leave out (the label of a test file), by header name or 0-based index',
      )
        .option('json', { type: 'boolean', default: false, describe: 'one JSON object per row: {row, class, label, outputs}' })
        .example('$0 predict --model model.sgm --input points.csv', 'one class (its name, or its index) per row')
        .example('$0 predict --model iris.sgm --input test.csv --label-column species', 'a CSV with its own label column')
        .example('cat rows.csv | $0 predict --model model.sgm --input - --json', 'class and output values per row, as JSON lines'),
    (argv) => predict(argv as unknown as PredictFlags),
  );
}

/**
 * Applies the model's saved preprocessing, runs the forward pass and prints per row the class
 * (classifiers: its name when the model was trained on named classes, else its index) or the
 * comma-separated outputs (regression).
 */
function predict(f: PredictFlags): void {
  const model = readModel(f.model);
  const { spec } = model;
  const n0 = spec.sizes[0];
  const nL = spec.sizes[spec.sizes.length - 1];
  const input = readNumericRows(f.input, n0, model.data, f.labelColumn);
  applyPreprocess(model.preprocess, input.X, input.rows, n0);
  const params = model.tensors.get('params')!;
  const ws = createWorkspace(spec, Math.min(CHUNK, input.rows));
  bindWorkspace(ws, params, new Float32Array(params.length));
  const classes = isClassifier(model);
  const names = classNamesOf(model);
  for (let c = 0; c < input.rows; c += ws.capacity) {
    const lines: string[] = []; // this chunk's: the output is written as it is made, never held whole
    const rows = Math.min(ws.capacity, input.rows - c);
    ws.x.set(input.X.subarray(c * n0, (c + rows) * n0));
    const out = forward(spec, ws, rows, referenceKernels); // (rows, nL)
    for (let r = 0; r < rows; r++) {
      const outputs = Array.from(out.subarray(r * nL, (r + 1) * nL));
      const cls = classes ? classOf(out, r * nL, nL) : null;
      const label = cls === null ? null : (names?.[cls] ?? String(cls));
      if (f.json) lines.push(JSON.stringify({ row: c + r, class: cls, label, outputs }));
      else lines.push(label ?? outputs.join(','));
    }
    print(lines.join('\n') + '\n');
  }
}
