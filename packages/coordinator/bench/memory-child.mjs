// One memory measurement, in its own process: train the default 784-128-10 net (batch 64, 16
// shards) for 30 steps with W workers on MNIST (10,000 × 784 float32 ≈ 31 MB in shared memory) or
// on a 64-row dataset of the same width, and print JSON with the resident set size.
// Usage: node --expose-gc memory-child.mjs <workers> <mnist|small>
import { Trainer, loadMnist, sharedFloat32, iota } from '@shardgrad/coordinator';
import { mlpSpec, optimizerConfig, paramLayout } from '@shardgrad/core';

const workers = Number(process.argv[2]);
const which = process.argv[3];
const data =
  which === 'mnist'
    ? loadMnist()
    : { name: 'small', task: 'classification', X: sharedFloat32(64 * 784).fill(0.5), Y: sharedFloat32(64 * 10).fill(0.1), rows: 64, inputs: 784, outputs: 10, trainRows: iota(64), testRows: iota(0) };
globalThis.gc?.();
const rssAfterLoad = process.memoryUsage().rss;
const spec = mlpSpec([784, 128, 10], 'relu', 'softmax', 'ce');
const t = new Trainer({ data, spec, optimizer: optimizerConfig('sgd'), lr: 0.1, schedule: { kind: 'constant' }, batch: 64, epochs: 1000, workers, shards: 16, seed: 1, init: 'glorot', valSplit: 0, preprocess: 'none', kernel: 'reference' });
let peakTrainingRss = 0;
t.on((e) => {
  if (e.type !== 'step') return;
  peakTrainingRss = Math.max(peakTrainingRss, process.memoryUsage().rss);
  if (e.step === 30) t.requestStop('SIGINT');
});
await t.run();
const P = paramLayout(spec.sizes).total;
process.stdout.write(
  JSON.stringify({
    workers,
    data: which,
    datasetBytes: data.X.byteLength + data.Y.byteLength,
    rssAfterLoad,
    peakTrainingRss,
    maxRss: process.resourceUsage().maxRSS * 1024,
    P,
    gradientRegionBytes: 16 * P * 4,
  }) + '\n',
);
