import { explain, LECTURE_EXAMPLE_1, parseExplainNet, type ExplainTrace } from '@shardgrad/core';
import { errors } from '@shardgrad/core';
import type { Argv } from 'yargs';
import { print } from '../io/stdout.js';
import { readFileOrFail } from '@shardgrad/coordinator';
import { nonNegativeInt, numberOption, positiveInt } from '../flags/numbers.js';
import { explainBatch, formatBatchTrace } from './explain-batch.js';
import { explainModel, MODEL_ONLY } from './explain-model.js';

const f = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(4));
const vec = (a: number[]) => `(${a.map(f).join(', ')})`;
const mat = (m: number[][], indent: string) => m.map((row) => `${indent}[${row.map(f).join(', ')}]`).join('\n');

/** The trace as the lecture's appendix prints it: forward, loss, chain-rule factors, gradients, update. */
export function formatTrace(t: ExplainTrace, options: { forwardOnly?: boolean } = {}): string {
  const { spec } = t.net;
  const L = spec.sizes.length - 1;
  const out: string[] = [];
  const hidden = L > 1 ? `hidden activation ${spec.activations[0]}, ` : '';
  const skips = spec.skips ?? [];
  const withSkips = skips.length > 0 ? ` with connections that skip layers: ${skips.map(([k, l]) => `${k}>${l}`).join(', ')}` : '';
  out.push(`Network ${spec.sizes.join('-')}${withSkips}: ${hidden}output activation ${spec.activations[L - 1]}, loss ${spec.loss}, η = ${t.net.lr}`);
  out.push(options.forwardOnly ? `Input x = y⁰ = ${vec(t.net.input)}` : `Input x = y⁰ = ${vec(t.net.input)}, target y = ${vec(t.net.target)}`);
  if (skips.length > 0) {
    out.push('', 'Forward: v^l = Σ_k y^k·W^{k→l} + b^l over every lower layer k connected to l, y^l = g(v^l)');
    out.push('  (Rumelhart, Hinton & Williams 1986: connections can skip intermediate layers)');
  } else out.push('', 'Forward: v = yW + b, y = g(v)');
  t.forward.forEach((l, i) => {
    out.push(`  layer ${i + 1} (${spec.activations[i]}): v = ${vec(l.v)}`);
    out.push(`  ${' '.repeat(String(i + 1).length + 8 + spec.activations[i].length)}   y = ${vec(l.y)}`);
  });
  if (options.forwardOnly) return out.join('\n');
  out.push('', spec.loss === 'mse' ? `Loss L = (1/N)·Σ(y − ŷ)² = ${f(t.loss)}` : `Loss L = −Σ y·log ŷ = ${f(t.loss)}`);
  out.push('', 'Backward: ∂L/∂W = ∂L/∂y · ∂y/∂v · ∂v/∂W (chain rule)');
  if (skips.length > 0) out.push('  a layer k that feeds several layers l sums their paths: ∂L/∂y^k = Σ_l ∂L/∂v^l·(W^{k→l})ᵀ');
  const sup = (n: number) => String(n).replace(/\d/g, (d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(d)]);
  for (let l = L - 1; l >= 0; l--) {
    const b = t.backward[l];
    out.push(`  layer ${l + 1}:`);
    if (b.dL_dy) out.push(`    ∂L/∂y = ${vec(b.dL_dy)}`);
    if (b.dy_dv) out.push(`    ∂y/∂v = g'(v) = ${vec(b.dy_dv)}`);
    else out.push('    softmax and cross-entropy together: ∂L/∂v = ŷ − y');
    out.push(`    ∂L/∂v = ${vec(b.dL_dv)}`);
    out.push(`    ∂L/∂W = (y below)ᵀ·∂L/∂v =\n${mat(t.gradients.weights[l], '      ')}`);
    for (const [k, to] of skips)
      if (to === l + 1) out.push(`    ∂L/∂W${k}→${to} = (y${sup(k)})ᵀ·∂L/∂v =\n${mat(t.gradients.skips![`${k}>${to}`], '      ')}`);
    out.push(`    ∂L/∂b = ∂L/∂v = ${vec(t.gradients.biases[l])}`);
  }
  out.push('', `Update: W ← W − η·∂L/∂W, b ← b − η·∂L/∂b (η = ${t.net.lr})`);
  for (let l = 0; l < L; l++) {
    out.push(`  W${l + 1} =\n${mat(t.updated.weights[l], '    ')}`);
    for (const [k, to] of skips) if (to === l + 1) out.push(`  W${k}→${to} =\n${mat(t.updated.skips![`${k}>${to}`], '    ')}`);
    out.push(`  b${l + 1} = ${vec(t.updated.biases[l])}`);
  }
  return out.join('\n');
}

export function registerExplain(y: Argv): Argv {
  return y.command(
    'explain',
    'Print every number of one backprop step for one sample, like the lecture (default: its Example 1); --batch: shard gradients vs the full batch',
    (a) =>
      a
        .option('net', { type: 'string', describe: 'network JSON file (layers, activation, output, loss, weights, biases, input, target, lr)' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object instead of text' })
        .option('batch', { type: 'boolean', describe: 'data-parallel mode: each worker\'s shard gradient, their size-weighted average and the full-batch gradient side by side' })
        .option('samples', numberOption('with --batch: samples in the batch', 4))
        .option('workers', numberOption('with --batch: workers (one shard each)', 2))
        .option('seed', numberOption('with --batch: seed of the weights and samples', 1))
        .option('skip', { type: 'string', describe: 'with --batch: "all" adds the connection 0>2 that skips the hidden layer' })
        .option('model', { type: 'string', describe: 'a model file (trained, or from shardgrad import): its layers and parameters, for --input' })
        .option('input', { type: 'string', describe: 'with --model: one row of raw features, comma separated (scaled by the model\'s preprocessing)' })
        .option('target', { type: 'string', describe: 'with --model: the class (name or index) or the regression targets; without it only the forward pass' })
        .option('lr', numberOption('with --model and --target: η of the update step shown [default: 0.1]'))
        .conflicts('batch', 'net')
        .conflicts('model', ['net', 'batch'])
        .example('$0 explain', "the lecture's Example 1: one sigmoid unit, x = (0.1, 0.5), target 1")
        .example('$0 explain --net net.json --json', 'a 2-2-2 network from a file, as JSON')
        .example('$0 explain --net xor211.json', 'a network with connections that skip layers ("skips": {"0>2": [[…], […]]} in the file)')
        .example('$0 explain --batch', 'a batch of 4 samples over 2 workers: the weighted average of shard gradients is the batch gradient')
        .example('$0 explain --batch --samples 5 --workers 2', 'uneven shards of 3 and 2 samples')
        .example('$0 explain --batch --skip all', 'the same with the input also wired straight to the output')
        .example('$0 explain --model iris.sgm --input 5.1,3.5,1.4,0.2 --target setosa', 'one row through a trained or imported model'),
    (argv) => {
      if (argv.model !== undefined) {
        const { model, input, target, lr, json } = argv as unknown as Record<string, unknown>;
        print(explainModel({ model, input, target, lr, json: json === true }) + '\n');
        return;
      }
      for (const [key, flag] of MODEL_ONLY) if ((argv as Record<string, unknown>)[key] !== undefined) throw errors.badInput(flag, 'only with --model');
      if (argv.skip !== undefined) {
        if (!argv.batch) throw errors.badInput('--skip', 'only with --batch (a --net file lists its own "skips")');
        if (Array.isArray(argv.skip) || String(argv.skip).trim() !== 'all') throw errors.badInput('--skip', `the one value is "all", got "${String(argv.skip)}"`);
      }
      if (argv.batch) {
        const samples = positiveInt('--samples', argv.samples);
        const workers = positiveInt('--workers', argv.workers);
        if (workers > samples) throw errors.badInput('--workers', `${workers} workers need at least ${workers} samples, got --samples ${samples}`);
        const t = explainBatch(samples, workers, nonNegativeInt('--seed', argv.seed), argv.skip !== undefined);
        if (argv.json) {
          const { spec, ...rest } = t;
          print(JSON.stringify({ layers: spec.sizes, ...(spec.skips ? { skips: spec.skips } : {}), activations: spec.activations, loss: spec.loss, ...rest }) + '\n');
        } else print(formatBatchTrace(t) + '\n');
        return;
      }
      let net = LECTURE_EXAMPLE_1;
      if (argv.net !== undefined) {
        const text = readFileOrFail(argv.net).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (e) {
          throw errors.badInput(argv.net, `not valid JSON (${(e as Error).message})`);
        }
        net = parseExplainNet(json, argv.net);
      }
      const t = explain(net);
      if (argv.json) {
        const { forward, loss, backward, gradients, updated } = t;
        const output = t.net.spec.activations[t.net.spec.activations.length - 1];
        print(JSON.stringify({ output, forward, loss, backward, gradients, updated }) + '\n');
      } else print(formatTrace(t) + '\n');
    },
  );
}
