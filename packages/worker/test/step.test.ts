import { enableRelaxedSimd, initParams, loadWasmKernels, mlpSpec, optimizerConfig, paramLayout, Rng, type Kernels } from '@shardgrad/core';
import { describe, expect, it } from 'vitest';
import { createRunMemory, layoutRun, partialView, planTree, runViews, WorkerStep } from '../src/index.js';

// WorkerStep's three ways to store a worker's leaves — all shards in one call (gemmTNLeaves), one
// shard at a time (gemmTNTree), and the plain fallback (gemmTNAcc into scratch, then float32 adds)
// — must publish the same bits: other kernels (native) implement only some of them.
await enableRelaxedSimd();

/** The kernels with the named methods hidden. */
function without(k: Kernels, ...names: (keyof Kernels)[]): Kernels {
  const o: Record<string, unknown> = {};
  for (const key of ['name', 'gemmBias', 'gemmNT', 'gemmTNAcc', 'denseForward', 'denseBackwardInput', 'gemmTNTree', 'gemmTNLeaves', 'addInto', 'finishUpdate'] as const) {
    const f = (k as unknown as Record<string, unknown>)[key];
    if (names.includes(key) || f === undefined) continue;
    o[key] = typeof f === 'function' ? (f as (...a: unknown[]) => unknown).bind(k) : f;
  }
  return o as unknown as Kernels;
}

describe('a worker publishes the same subtree sums whichever leaf kernels it has', () => {
  const spec = mlpSpec([13, 11, 6], 'relu', 'softmax', 'ce'); // 11 and 6 columns: 8-, 4- and 1-wide strips
  const N = 80;
  const rng = new Rng(11);
  const X = Float32Array.from({ length: N * 13 }, () => rng.uniform(-1, 1));
  const Y = new Float32Array(N * 6);
  for (let r = 0; r < N; r++) Y[r * 6 + rng.int(6)] = 1;
  const order = Uint32Array.from({ length: N }, (_, i) => (i * 37) % N);

  it.each([
    [16, 1, 64],
    [16, 3, 64],
    [7, 2, 37],
    [5, 5, 9],
    [16, 2, 10], // shards of 0 and 1 rows
  ])('V=%i on W=%i workers, batch %i', async (V, W, B) => {
    const published = async (strip: (k: Kernels) => Kernels) => {
      const layout = layoutRun({ spec, V, W, batch: B, optimizer: optimizerConfig('sgd') });
      const memory = createRunMemory(layout, true);
      initParams(runViews(memory, layout).params, paramLayout(spec.sizes), 'glorot', 3);
      const data = { X, Y, order, shardLoss: new Float64Array(V) };
      const out: number[][] = [];
      for (let w = 0; w < W; w++) {
        const kernels = await loadWasmKernels({ memory, scratch: layout.workers[w].kernelScratch });
        const step = new WorkerStep(layout, memory, w, strip(kernels), data);
        step.gradients(0, B);
        for (const node of planTree(V, W).workers[w].published) out.push(Array.from(partialView(memory, layout, w, node.slot)));
      }
      return out;
    };
    const all = await published((k) => k);
    expect(await published((k) => without(k, 'gemmTNLeaves'))).toEqual(all);
    expect(await published((k) => without(k, 'gemmTNLeaves', 'gemmTNTree'))).toEqual(all);
    expect(all.flat().every(Number.isFinite)).toBe(true);
  });
});
