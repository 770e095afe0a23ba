import { accumulateGradient, bindWorkspace, createWorkspace, mlpSpec, optimizerConfig, referenceKernels, Rng, specLayout, type MLPSpec } from '@shardgrad/core';
import { partialView, shardRange, treeExpression } from '@shardgrad/worker';
import { sharedFloat32 } from '../data/dataset.js';
import { nodeEngine } from '../engine/create-engine.js';
import { TrainingRun } from '../run/training-run.js';

/** What `explain --batch` shows: one training step's gradient computed by shards and by the whole batch. */
export interface BatchTrace {
  readonly spec: MLPSpec;
  /** parameter names in flat order: W1[i][j], (skip blocks W0→2[i][j]), b1[j], … */
  readonly names: string[];
  readonly params: number[];
  /** x: (B, n₀) and target: (B, n_L), one row per sample, in the order the step took them (the epoch's shuffle) */
  readonly inputs: number[][];
  readonly targets: number[][];
  /** per worker: its shard, rows [samples[0], samples[1]) of `inputs` */
  readonly shards: { worker: number; samples: [number, number]; size: number; meanGradient: number[] }[];
  /** ḡ = (G₁ + G₂ + …) / B, as the workers' reduction tree computed it */
  readonly average: number[];
  /** the order of the tree's additions over the shards, e.g. "((1+2)+3)" */
  readonly tree: string;
  /** the gradient of the mean loss over the whole batch in one single-process pass */
  readonly fullBatch: number[];
  readonly maxAbsDifference: number;
}

/**
 * One step of an ordinary training run — TrainingRun over the Node engine, one worker thread and
 * one virtual shard per worker, η = 0 — of a tiny 2-3-2 network (tanh, softmax, cross-entropy;
 * with `skip`, also the connection 0>2) on `samples` random samples: each worker's published shard
 * sum and the tree's average, read from the run's memory after the step, beside core's full-batch
 * gradient for comparison.
 */
export async function traceBatch(samples: number, workers: number, seed: number, skip = false): Promise<BatchTrace> {
  const spec = mlpSpec([2, 3, 2], 'tanh', 'softmax', 'ce', skip ? [[0, 2]] : []);
  const layout = specLayout(spec);
  const P = layout.total;
  const rng = new Rng(seed + 1);
  const B = samples;
  const X = sharedFloat32(B * 2); // (B, 2)
  for (let i = 0; i < X.length; i++) X[i] = Math.round(rng.uniform(-1, 1) * 100) / 100;
  const Y = sharedFloat32(B * 2); // (B, 2) one-hot
  for (let r = 0; r < B; r++) Y[r * 2 + rng.int(2)] = 1;
  const V = workers; // one shard per worker
  const settings = { spec, optimizer: optimizerConfig('sgd'), lr: 0, schedule: { kind: 'constant' as const }, batch: B, epochs: 1, shards: V, seed, init: 'glorot' as const };
  const run = await TrainingRun.create(settings, { X, Y, train: Uint32Array.from({ length: B }, (_, i) => i), val: new Uint32Array(0) }, {
    workers: V,
    kernel: 'reference',
    engine: nodeEngine(V),
    evalKernels: referenceKernels,
  });
  try {
    const params = run.params(); // θ before the step (η = 0 leaves it so)
    await run.step();
    const order = Array.from(run.data.order); // the rows the step took, in its order
    const shards: BatchTrace['shards'] = [];
    for (let w = 0; w < V; w++) {
      const [lo, hi] = shardRange(0, B, V, w);
      const size = hi - lo;
      const G = partialView(run.memory, run.layout, w, 0); // worker w's one shard: the leaf it publishes
      shards.push({ worker: w + 1, samples: [lo, hi], size, meanGradient: Array.from(G, (g) => (size ? g / size : 0)) });
    }
    const average = Array.from(run.views.avgGrad);

    const full = new Float32Array(P);
    const ws = createWorkspace(spec, B);
    bindWorkspace(ws, params, full);
    accumulateGradient(spec, ws, X, Y, Uint32Array.from(order), 0, B, referenceKernels);
    const fullBatch = Array.from(full, (g) => g / B);
    let maxAbsDifference = 0;
    for (let i = 0; i < P; i++) maxAbsDifference = Math.max(maxAbsDifference, Math.abs(average[i] - fullBatch[i]));

    const names: string[] = [];
    layout.layers.forEach((s, l) => {
      for (let i = 0; i < s.nIn; i++) for (let j = 0; j < s.nOut; j++) names.push(`W${l + 1}[${i}][${j}]`);
      for (const k of layout.skipsInto[l]) {
        const sk = layout.skips[k];
        for (let i = 0; i < sk.nIn; i++) for (let j = 0; j < sk.nOut; j++) names.push(`W${sk.from}→${sk.to}[${i}][${j}]`);
      }
      for (let j = 0; j < s.nOut; j++) names.push(`b${l + 1}[${j}]`);
    });
    const rowsOf = (a: Float32Array, n: number) => order.map((r) => Array.from(a.subarray(r * n, (r + 1) * n)));
    const tree = treeExpression(0, V).replace(/\d+/g, (s) => String(Number(s) + 1));
    return { spec, names, params: Array.from(params), inputs: rowsOf(X, 2), targets: rowsOf(Y, 2), shards, average, tree, fullBatch, maxAbsDifference };
  } finally {
    await run.close();
  }
}
