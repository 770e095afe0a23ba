import { explain, LECTURE_EXAMPLE_1, parseExplainNet } from '@shardgrad/core';
import { errors } from '@shardgrad/core';
import type { Argv } from 'yargs';
import { print } from '../io/stdout.js';
import { readFileOrFail } from '@shardgrad/coordinator';
import { nonNegativeInt, numberOption, positiveInt } from '../flags/numbers.js';
import { traceBatch } from '@shardgrad/coordinator';
import { formatBatchTrace } from './explain-batch.js';
import { explainModel, MODEL_ONLY } from './explain-model.js';
import { formatTrace } from '../render/trace.js';

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
    async (argv) => {
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
        const t = await traceBatch(samples, workers, nonNegativeInt('--seed', argv.seed), argv.skip !== undefined);
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
