// How accurate is the canonical pairwise tree? The batch gradient of 784-128-10 on the 8,000 MNIST training rows
// computed in float64 (reference kernels, plain sums: the yardstick), against the engine's float32
// ḡ for V = 1 (one fma chain over all rows, as trainLocal), 16, 64, 256 virtual shards (chains over
// B/V rows, then log₂V tree levels), and a float32 sequential sum of the same V shard gradients.
//   pnpm build && node bench/tree-accuracy.mjs   → table on stdout, JSON in bench/results/
import { mkdirSync, writeFileSync } from 'node:fs';
const core = await import('../packages/core/dist/index.js');
const worker = await import('../packages/worker/dist/index.js');
const { loadMnist } = await import('../packages/coordinator/dist/index.js');
await core.enableRelaxedSimd();
const data = loadMnist();
const B = Number(process.env.B ?? 8000); // every training row of the MNIST set
const spec = core.mlpSpec([784, 128, 10], 'relu', 'softmax', 'ce');
const layout = core.paramLayout(spec.sizes);
const P = layout.total;
const params = new Float32Array(P);
core.initParams(params, layout, 'glorot', 1);
const order = data.trainRows.subarray(0, B);

// float64 yardstick
const exact = new Float64Array(P);
{
  const ws = core.createWorkspace64(spec, B);
  core.bindWorkspace(ws, Float64Array.from(params), exact);
  core.accumulateGradient(spec, ws, Float64Array.from(data.X), Float64Array.from(data.Y), order, 0, B, core.referenceKernels);
  for (let i = 0; i < P; i++) exact[i] /= B;
}

function engineGradient(V) {
  const rl = worker.layoutRun({ spec, V, W: 1, batch: B, optimizer: core.optimizerConfig('sgd') });
  const memory = worker.createRunMemory(rl, true);
  const views = worker.runViews(memory, rl);
  views.params.set(params);
  return core.loadWasmKernels({ memory, scratch: rl.workers[0].kernelScratch }).then((kernels) => {
    const step = new worker.WorkerStep(rl, memory, 0, kernels, { X: data.X, Y: data.Y, order, shardLoss: new Float64Array(V) });
    step.gradients(0, B);
    step.update(B, 0, 1); // lr 0: ḡ only
    return Float32Array.from(views.avgGrad);
  });
}

/** V shard gradients (each an fma chain over its rows, as the engine's leaves), summed left to right in float32. */
async function sequentialGradient(V) {
  const sum = new Float32Array(P);
  for (let s = 0; s < V; s++) {
    const lo = worker.shardBound(0, B, V, s);
    const hi = worker.shardBound(0, B, V, s + 1);
    const rl = worker.layoutRun({ spec, V: 1, W: 1, batch: hi - lo, optimizer: core.optimizerConfig('sgd') });
    const memory = worker.createRunMemory(rl, true);
    const views = worker.runViews(memory, rl);
    views.params.set(params);
    const kernels = await core.loadWasmKernels({ memory, scratch: rl.workers[0].kernelScratch });
    const step = new worker.WorkerStep(rl, memory, 0, kernels, { X: data.X, Y: data.Y, order: order.subarray(lo, hi), shardLoss: new Float64Array(1) });
    step.gradients(0, hi - lo);
    const leaf = worker.partialView(memory, rl, 0, 0);
    for (let i = 0; i < P; i++) sum[i] = Math.fround(sum[i] + leaf[i]);
  }
  return sum.map((x) => x / B);
}

function error(g) {
  // relative to the gradient's scale: |g − exact| / (|exact| + 1e-3·max|exact|)
  let maxAbs = 0;
  for (let i = 0; i < P; i++) maxAbs = Math.max(maxAbs, Math.abs(exact[i]));
  const rel = Array.from(g, (x, i) => Math.abs(x - exact[i]) / (Math.abs(exact[i]) + 1e-3 * maxAbs)).sort((a, b) => a - b);
  const mean = rel.reduce((a, b) => a + b, 0) / P;
  return { mean, p99: rel[Math.floor(0.99 * (P - 1))], max: rel[P - 1] };
}

const rows = [];
for (const V of [1, 16, 64, 256]) {
  rows.push({ V, rowsPerShard: +(B / V).toFixed(1), method: 'tree (the engine)', ...error(await engineGradient(V)) });
  if (V > 1) rows.push({ V, rowsPerShard: +(B / V).toFixed(1), method: 'sequential float32 sum of the shards', ...error(await sequentialGradient(V)) });
}
const fmt = (x) => x.toExponential(2);
console.log(`784-128-10, batch ${B}, ${P} parameters; error of ḡ against a float64 computation, relative to |ḡ| + 10⁻³·max|ḡ|`);
console.log('| V | rows per shard | summation | mean | 99th percentile | max |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.V} | ${r.rowsPerShard} | ${r.method} | ${fmt(r.mean)} | ${fmt(r.p99)} | ${fmt(r.max)} |`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL(`./results/tree-accuracy-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url), JSON.stringify({ B, P, rows }, null, 2));
