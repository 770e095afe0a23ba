import { evaluate, bindWorkspace, createWorkspace, loadKernels, mlpSpec, optimizerConfig, trainLocal, type Activation } from '@shardgrad/core';
import { describe, expect, it } from 'vitest';
import { DATASET_DEFAULTS, MAX_STEP_DELAY_MS, stepDelayMs, type DatasetDefaults } from '../src/app/defaults.js';
import { DATASETS, parseSettings } from '../src/app/settings.js';
import { mnistDataset } from '../src/data/mnist-digits.js';
import { packDigits, unpackDigits, WEB_DIGITS_PER_CLASS } from '../src/data/mnist-pack.js';
import { mnistPackageDigits } from '../vite.config.js';

/** Validation loss and accuracy after each of `epochs` epochs of the page's MNIST set with `d`. */
async function mnistCurve(d: DatasetDefaults, epochs: number): Promise<{ loss: number; accuracy: number }[]> {
  // the page's data: the packed digits, 300 per class, its seeded order, the last fifth held out
  const data = mnistDataset(unpackDigits(packDigits(mnistPackageDigits(), WEB_DIGITS_PER_CLASS)), WEB_DIGITS_PER_CLASS);
  const hidden = d.hidden.split(',').map(Number);
  const spec = mlpSpec([784, ...hidden, 10], d.activation as Activation, 'softmax', 'ce');
  const kernels = await loadKernels('wasm');
  const val = Uint32Array.from({ length: data.rows - data.trainRows }, (_, i) => data.trainRows + i);
  const curve: { loss: number; accuracy: number }[] = [];
  trainLocal({
    spec, X: data.X, Y: data.Y, train: Uint32Array.from({ length: data.trainRows }, (_, i) => i),
    batch: d.batch, epochs, lr: d.lr, optimizer: optimizerConfig(d.optimizer), seed: 42, kernels,
    onEpoch: (_e, _loss, params) => {
      const ws = createWorkspace(spec, 256);
      bindWorkspace(ws, params, new Float32Array(params.length));
      const e = evaluate(spec, ws, data.X, data.Y, val, val.length, kernels);
      curve.push({ loss: e.loss, accuracy: e.accuracy });
    },
  });
  return curve;
}

describe('each data set starts with its own settings', () => {
  it('every data set has defaults the form accepts', () => {
    for (const name of DATASETS) {
      const d = DATASET_DEFAULTS[name];
      const s = parseSettings({ dataset: name, hidden: d.hidden, activation: d.activation, optimizer: d.optimizer, lr: String(d.lr), batch: String(d.batch), workers: '1', skips: 'none' }, 1);
      expect(s.dataset).toBe(name);
    }
  });

  it("the digits' defaults keep improving on the page's 600 validation digits; the spiral's overfit there", async () => {
    const digits = await mnistCurve(DATASET_DEFAULTS.mnist, 6);
    const best = Math.min(...digits.map((p) => p.loss));
    expect(digits[digits.length - 1].loss).toBeLessThan(1.05 * best);
    expect(digits[digits.length - 1].accuracy).toBeGreaterThan(0.85);
    // what the page did before: the spiral's settings on the digits end well above their best loss
    const spiral = await mnistCurve(DATASET_DEFAULTS.spiral, 6);
    const spiralBest = Math.min(...spiral.map((p) => p.loss));
    expect(spiral[spiral.length - 1].loss).toBeGreaterThan(1.1 * spiralBest);
  });

  it('the step delay slider reads as whole milliseconds within its range', () => {
    expect([stepDelayMs('0'), stepDelayMs('250'), stepDelayMs('12.6'), stepDelayMs('-5'), stepDelayMs('5000'), stepDelayMs('x')]).toEqual([0, 250, 13, 0, MAX_STEP_DELAY_MS, 0]);
  });
});
