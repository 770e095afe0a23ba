import { it } from 'vitest';
import { initParams, mlpSpec, optimizerConfig, paramLayout, referenceKernels, deriveSeed } from '@shardgrad/core';
import { createWorkerContext, computeShardGradient, reduceAndUpdate, shardRange } from '@shardgrad/worker';
it('mnist step cost', () => {
  const N = 3000, D = 784;
  const X = new Float32Array(N * D).map(() => Math.random()); const Y = new Float32Array(N * 10); for (let i = 0; i < N; i++) Y[i * 10 + (i % 10)] = 1;
  const spec = mlpSpec([D, 32, 10], 'relu', 'softmax', 'ce');
  const P = paramLayout(spec.sizes).total; const V = 8;
  const order = Uint32Array.from({length: N}, (_, i) => i);
  const bufs = { X, Y, order, params: new Float32Array(P), shardGrads: new Float32Array(V*P), avgGrad: new Float32Array(P), shardLoss: new Float64Array(V), optState: new Float32Array(2*P) };
  initParams(bufs.params, paramLayout(spec.sizes), 'he', deriveSeed(42, 0));
  const ctx = createWorkerContext(spec, V, bufs, referenceKernels, optimizerConfig('adam'), 64);
  for (let rep = 0; rep < 5; rep++) {
    const t0 = performance.now();
    for (let st = 0; st < 20; st++) { const s = st * 32;
      for (let v = 0; v < V; v++) { const [lo, hi] = shardRange(s, s + 32, V, v); computeShardGradient(ctx, v, lo, hi); }
      reduceAndUpdate(ctx, 0, P, 32, 0.01, st + 1); }
    console.log('ms/step', ((performance.now() - t0) / 20).toFixed(2));
  }
});
