// The default MNIST model (784-128-10 ReLU, softmax CE, SGD lr 0.1, 5 epochs, seed 1) with 1 and 2
// workers at batch 64 and 256: wall time, test accuracy, and whether the weights are bit-identical.
// Run: pnpm build && node packages/coordinator/bench/mnist-wall.mjs [epochs] [repeats] [wasm|reference] [shards] → JSON on stdout.
import { loadMnist, Trainer } from '@shardgrad/coordinator';
import { mlpSpec, optimizerConfig } from '@shardgrad/core';
import os from 'node:os';

const epochs = Number(process.argv[2] ?? 5);
const repeats = Number(process.argv[3] ?? 1);
const kernel = process.argv[4] ?? 'wasm';
const shards = Number(process.argv[5] ?? 16);
const data = loadMnist();
const spec = mlpSpec([784, 128, 10], 'relu', 'softmax', 'ce');
const out = { node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(), epochs, kernel, shards, runs: [] };
for (const batch of [64, 256]) {
  let ref;
  for (let rep = 0; rep < repeats; rep++)
    for (const workers of [1, 2]) {
      const r = await new Trainer({
        data, spec, optimizer: optimizerConfig('sgd'), lr: 0.1, schedule: { kind: 'constant' }, batch, epochs, workers,
        shards, seed: 1, init: 'glorot', valSplit: 0, preprocess: 'none', kernel,
      }).run();
      ref ??= Buffer.from(r.params.buffer);
      out.runs.push({
        batch, workers, wallS: +(r.wallMs / 1000).toFixed(2), testAccuracy: r.history.at(-1).valAccuracy,
        sameWeightsAs1Worker: Buffer.compare(Buffer.from(r.params.buffer), ref) === 0,
      });
      process.stderr.write(JSON.stringify(out.runs.at(-1)) + '\n');
    }
}
out.loadavgAfter = os.loadavg();
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
