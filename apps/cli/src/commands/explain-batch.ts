import {
  accumulateGradient,
  bindWorkspace,
  createWorkspace,
  initParams,
  mlpSpec,
  optimizerConfig,
  specLayout,
  referenceKernels,
  Rng,
  type MLPSpec,
} from '@shardgrad/core';
import { createRunMemory, layoutRun, partialView, runViews, shardRange, treeExpression, WorkerStep } from '@shardgrad/worker';

/** What `explain --batch` shows: one step's gradient computed by shards and by the whole batch. */
export interface BatchTrace {
  readonly spec: MLPSpec;
  /** parameter names in flat order: W1[i][j], (skip blocks W0→2[i][j]), b1[j], … */
  readonly names: string[];
  readonly params: number[];
  /** x: (B, n₀) and target: (B, n_L), one row per sample */
  readonly inputs: number[][];
  readonly targets: number[][];
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
 * A tiny 2-3-2 network (tanh, softmax, cross-entropy; with `skip`, also the connection 0>2 that
 * skips the hidden layer) and `samples` random samples, cut into one shard per worker exactly as
 * training does; the engine's worker step computes each shard's summed gradient and the reduction
 * tree, and core's backprop computes the full-batch gradient for comparison.
 */
export function explainBatch(samples: number, workers: number, seed: number, skip = false): BatchTrace {
  const spec = mlpSpec([2, 3, 2], 'tanh', 'softmax', 'ce', skip ? [[0, 2]] : []);
  const layout = specLayout(spec);
  const P = layout.total;
  const params = new Float32Array(P);
  initParams(params, layout, 'glorot', seed);
  const rng = new Rng(seed + 1);
  const B = samples;
  const X = Float32Array.from({ length: B * 2 }, () => Math.round(rng.uniform(-1, 1) * 100) / 100); // (B, 2)
  const Y = new Float32Array(B * 2); // (B, 2) one-hot
  for (let r = 0; r < B; r++) Y[r * 2 + rng.int(2)] = 1;
  const order = Uint32Array.from({ length: B }, (_, i) => i);

  const V = workers; // one shard per worker
  const runLayout = layoutRun({ spec, V, W: V, batch: B, optimizer: optimizerConfig('sgd') });
  const memory = createRunMemory(runLayout, false);
  const run = runViews(memory, runLayout);
  run.params.set(params);
  const data = { X, Y, order, shardLoss: new Float64Array(V) };
  const steps = Array.from({ length: V }, (_, w) => new WorkerStep(runLayout, memory, w, referenceKernels, data));
  const shards: BatchTrace['shards'] = [];
  for (let w = 0; w < V; w++) {
    const [lo, hi] = shardRange(0, B, V, w);
    steps[w].gradients(0, B);
    const size = hi - lo;
    const G = partialView(memory, runLayout, w, 0); // worker w's one shard: the leaf it publishes
    shards.push({ worker: w + 1, samples: [lo, hi], size, meanGradient: Array.from(G, (g) => (size ? g / size : 0)) });
  }
  for (const step of steps) step.update(B, 0, 1); // lr 0: only the average is wanted here

  const full = new Float32Array(P);
  const ws = createWorkspace(spec, B);
  bindWorkspace(ws, params, full);
  accumulateGradient(spec, ws, X, Y, order, 0, B, referenceKernels);
  const fullBatch = Array.from(full, (g) => g / B);
  const average = Array.from(run.avgGrad);
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
  const rowsOf = (a: Float32Array, n: number) => Array.from({ length: B }, (_, r) => Array.from(a.subarray(r * n, (r + 1) * n)));
  const tree = treeExpression(0, V).replace(/\d+/g, (s) => String(Number(s) + 1));
  return { spec, names, params: Array.from(params), inputs: rowsOf(X, 2), targets: rowsOf(Y, 2), shards, average, tree, fullBatch, maxAbsDifference };
}

/** The trace as a table: one row per parameter, one column per worker, then average and full batch. */
export function formatBatchTrace(t: BatchTrace): string {
  const B = t.inputs.length;
  const f = (x: number) => x.toFixed(6).padStart(11);
  const out: string[] = [];
  const skips = t.spec.skips?.length ? ` with the skip connection${t.spec.skips.length > 1 ? 's' : ''} ${t.spec.skips.map(([k, l]) => `${k}>${l}`).join(', ')} (v^l = Σ_k y^k·W^{k→l} + b^l)` : '';
  out.push(`Network ${t.spec.sizes.join('-')}${skips} (${t.spec.activations.join(', ')}; ${t.spec.loss}), a batch of ${B} samples split over ${t.shards.length} workers:`);
  t.inputs.forEach((x, r) => {
    const w = t.shards.find((s) => r >= s.samples[0] && r < s.samples[1])!.worker;
    out.push(`  sample ${r + 1}: x = (${x.map((v) => v.toFixed(2)).join(', ')}), class ${t.targets[r].indexOf(1)}  → worker ${w}`);
  });
  const weights = t.shards.map((s) => `${s.size}/${B}·ḡ${s.worker}`).join(' + ');
  out.push('');
  out.push('Each worker computes the mean gradient ḡw of its own samples; the average weighted by shard size,');
  out.push(`ḡ = ${weights}, is exactly the gradient of the whole batch's mean loss.`);
  out.push(`The workers add their summed gradients Gw in a fixed pairwise tree, ḡ = ${t.tree.replace(/\d+/g, 'G$&')} / ${B},`);
  out.push('so the bits do not depend on how many workers share the shards:');
  out.push('');
  const head = t.shards.map((s) => `worker ${s.worker} (${s.size})`.padStart(13));
  out.push(`${'parameter'.padEnd(10)}${head.join('')}${'weighted avg'.padStart(14)}${'full batch'.padStart(13)}`);
  t.names.forEach((name, i) => {
    out.push(`${name.padEnd(10)}${t.shards.map((s) => f(s.meanGradient[i]).padStart(13)).join('')}${f(t.average[i]).padStart(14)}${f(t.fullBatch[i]).padStart(13)}`);
  });
  out.push('');
  out.push(`largest difference between the weighted average and the full-batch gradient: ${t.maxAbsDifference.toExponential(1)} (float32 rounding)`);
  return out.join('\n');
}
