import { applyPreprocess, errors, NoiseProbe, type BatchNoise } from '@shardgrad/core';
import type { Dataset } from '@shardgrad/coordinator';
import { shardBound } from '@shardgrad/worker';
import type { Argv } from 'yargs';
import { DATA_DESCRIBE, dataSourceFromFlags, labelColumnOption, loadData, type CsvFlags } from '../flags/data.js';
import { nonNegativeInt, numberOption, positiveInt } from '../flags/numbers.js';
import { readModel } from '../io/model.js';
import { print } from '../io/stdout.js';

interface NoiseFlags extends CsvFlags {
  model: string;
  data: string;
  batch: unknown;
  shards: unknown;
  batches?: unknown;
  seed: unknown;
  json: boolean;
}

export function registerNoise(y: Argv): Argv {
  return y.command(
    'noise',
    'The gradient noise scale B_simple = tr(Σ)/|G|² of a model on batches of a data set: the batch size past which larger batches stop paying (McCandlish et al. 2018)',
    (a) =>
      labelColumnOption(a.option('data', { type: 'string', default: 'mnist', describe: DATA_DESCRIBE }), 'CSV: the column holding the class [default: the model’s, else "label", else the last]')
        .option('target-columns', { type: 'string', describe: 'CSV: comma-separated columns holding one-hot or regression targets' })
        .option('task', { choices: ['classification', 'regression'] as const, describe: 'CSV: what the targets are [default: the model’s]' })
        .option('header', { type: 'boolean', describe: 'CSV: whether the first row is a header [default: detected]' })
        .conflicts('label-column', 'target-columns')
        .option('model', { type: 'string', demandOption: true, describe: 'model (or checkpoint) file whose gradient is measured' })
        .option('batch', numberOption('rows per batch B: consecutive rows of --data in file order, no shuffle', 1024))
        .option('shards', numberOption('groups per batch: the batch cut into V virtual shards as shardgrad train cuts it (at least 2)', 16))
        .option('batches', numberOption('measure the first N batches [default: every full batch]'))
        .option('seed', numberOption('seed of a built-in 2D set (use the one it was trained with)', 1))
        .option('json', { type: 'boolean', default: false, describe: 'one JSON object per batch {batch, rows, groups, groupRows, gradSq, traceSigma, bSimple}, then {type: "summary", gradSq, traceSigma, bSimple}' })
        .example('$0 noise --model model.sgm --batch 1024 --shards 16', 'B_simple of the default MNIST model, on the first batches of the digits')
        .epilogue(
          'From the V shard gradient sums of a batch of B rows (gradients of the per-sample loss, the model’s input scaling applied, float64): ' +
            'tr(Σ) = Σ_k b_k·|G_k − G_B|²/(V − 1) and |G|² = |G_B|² − tr(Σ)/B (unbiased; docs/teaching.md). The summary’s bSimple is mean tr(Σ) / mean |G|².',
        ),
    (argv) => run(argv as unknown as NoiseFlags),
  );
}

/** The batches: full batches of B consecutive rows, the first `wanted` of them (all when undefined). */
function batchCount(data: Dataset, B: number, wanted: number | undefined): number {
  const full = Math.floor(data.rows / B);
  if (full === 0) throw errors.badInput('--batch', `${B} is more than the ${data.rows} rows of ${data.name}`);
  if (wanted !== undefined && wanted > full) throw errors.badInput('--batches', `${wanted} batches of ${B} rows need ${wanted * B} rows; ${data.name} has ${data.rows} (${full} full batches)`);
  return wanted ?? full;
}

function run(f: NoiseFlags): void {
  const B = positiveInt('--batch', f.batch);
  const V = positiveInt('--shards', f.shards);
  const wanted = f.batches === undefined ? undefined : positiveInt('--batches', f.batches);
  const seed = nonNegativeInt('--seed', f.seed);
  if (V < 2) throw errors.badInput('--shards', `must be at least 2: the noise scale compares groups of rows, got ${V}`);
  if (V > B) throw errors.badInput('--shards', `${V} is more than the ${B} rows of a batch (every group needs a row)`);
  const model = readModel(f.model);
  const { spec } = model;
  const n0 = spec.sizes[0];
  const nL = spec.sizes[spec.sizes.length - 1];
  const data = loadData(dataSourceFromFlags(f.data, f, { ...(model.data ? { data: model.data } : {}), outputs: nL }), seed);
  if (data.inputs !== n0 || data.outputs !== nL)
    throw errors.badInput(f.model, `takes ${n0} inputs and gives ${nL} outputs, but ${data.name} has ${data.inputs} inputs and ${data.outputs} outputs`);
  const N = batchCount(data, B, wanted);
  // scale the inputs exactly as training did, with the statistics saved in the model
  applyPreprocess(model.preprocess, data.X, data.rows, n0);
  const order = data.fileOrder ?? Uint32Array.from({ length: data.rows }, (_, i) => i); // file order: record r is row order[r]
  const probe = new NoiseProbe(spec, model.tensors.get('params')!, V);
  const results: BatchNoise[] = [];
  if (!f.json) print(`${f.model} on ${data.name}: ${N} batch${N === 1 ? '' : 'es'} of ${B} consecutive rows, each cut into ${V} shards (float64)\n${'batch'.padStart(6)}${'|G|²'.padStart(14)}${'tr(Σ)'.padStart(14)}${'B_simple'.padStart(12)}${'loss'.padStart(10)}\n`);
  for (let n = 0; n < N; n++) {
    const bounds = Array.from({ length: V + 1 }, (_, s) => shardBound(n * B, (n + 1) * B, V, s));
    const e = probe.measure(data.X, data.Y, order, bounds);
    results.push(e);
    if (f.json)
      print(JSON.stringify({ batch: n + 1, rows: B, groups: e.groupRows.length, groupRows: e.groupRows, gradSq: e.gradSq, traceSigma: e.traceSigma, bSimple: e.bSimple }) + '\n');
    else print(`${String(n + 1).padStart(6)}${fmt(e.gradSq).padStart(14)}${fmt(e.traceSigma).padStart(14)}${fmt(e.bSimple).padStart(12)}${e.loss.toFixed(4).padStart(10)}\n`);
  }
  const gradSq = results.reduce((s, e) => s + e.gradSq, 0) / N;
  const traceSigma = results.reduce((s, e) => s + e.traceSigma, 0) / N;
  const bSimple = traceSigma / gradSq;
  if (f.json) print(JSON.stringify({ type: 'summary', gradSq, traceSigma, bSimple }) + '\n');
  else
    print(
      `${'mean'.padStart(6)}${fmt(gradSq).padStart(14)}${fmt(traceSigma).padStart(14)}${fmt(bSimple).padStart(12)}\n` +
        `B_simple = mean tr(Σ) / mean |G|² = ${fmt(bSimple)}: batches much smaller than this are dominated by gradient noise (use more steps or average more rows); ` +
        `much larger ones mostly spend compute on precision that buys few steps.\n`,
    );
}

const fmt = (x: number) => (Number.isFinite(x) ? (Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toPrecision(5)) : String(x));
