import { allSkips, HIDDEN_ACTIVATIONS, mlpSpec } from '@shardgrad/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { exportModel } from '../src/index.js';
import { activationSpecs, maxAbsDiff, preprocessOf, randomInputs, randomModel, shardgradOutputs } from './fixtures.js';

const ROWS = 1000;

/** Loads the exported files with TF.js's own loader (tf.io.fromMemory) and predicts X (rows, n₀). */
async function tfjsOutputs(files: { name: string; bytes: Uint8Array }[], X: Float32Array, rows: number, n0: number): Promise<Float32Array> {
  expect(files.map((f) => f.name)).toEqual(['model.json', 'weights.bin']);
  const json = JSON.parse(new TextDecoder().decode(files[0].bytes)) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  expect(json.weightsManifest).toHaveLength(1);
  expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
  const bin = files[1].bytes;
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
  const out = tf.tidy(() => model.predict(tf.tensor2d(X, [rows, n0])) as tf.Tensor);
  const data = (await out.data()) as Float32Array;
  out.dispose();
  model.dispose();
  return data;
}

describe('TF.js layers export, loaded by @tensorflow/tfjs', () => {
  it('predicts like shardgrad within 1e-5 on 1,000 inputs, for every hidden and output activation', async () => {
    await tf.setBackend('cpu');
    for (const [i, spec] of activationSpecs([6, 9, 7, 3], [], HIDDEN_ACTIVATIONS.filter((a) => a !== 'gelu-tanh')).entries()) {
      const model = randomModel(spec, 300 + i);
      const X = randomInputs(ROWS, 6, 400 + i);
      const theirs = await tfjsOutputs(exportModel(model, 'tfjs'), X, ROWS, 6);
      expect(maxAbsDiff(theirs, shardgradOutputs(model, X, ROWS)), spec.activations.join(',')).toBeLessThanOrEqual(1e-5);
    }
  });

  it('gelu is the "gelu" activation; gelu-tanh, which @tensorflow/tfjs cannot load, is refused in one line', () => {
    const json = (act: 'gelu' | 'gelu-tanh') => exportModel(randomModel(mlpSpec([3, 4, 2], act, 'softmax', 'ce'), 1), 'tfjs');
    const files = json('gelu');
    const json1 = JSON.parse(Buffer.from(files.find((f) => f.name === 'model.json')!.bytes).toString('utf8')) as { modelTopology: { config: { layers: { config: { activation?: string } }[] } } };
    expect(json1.modelTopology.config.layers.map((l) => l.config.activation).filter(Boolean)).toEqual(['gelu', 'softmax']);
    expect(() => json('gelu-tanh')).toThrow(/^tfjs: the gelu-tanh activation has no TF.js layers form that @tensorflow\/tfjs loads; export ONNX instead$/);
  });

  it('takes raw features: standardize and minmax are folded into the first layer (a constant minmax column included)', async () => {
    for (const kind of ['standardize', 'minmax'] as const) {
      const spec = mlpSpec([5, 8, 4], 'relu', 'softmax', 'ce');
      const model = randomModel(spec, 17, preprocessOf(kind, 5, 18, 3));
      const X = randomInputs(ROWS, 5, 19, -3, 3, 3);
      const theirs = await tfjsOutputs(exportModel(model, 'tfjs'), X, ROWS, 5);
      expect(maxAbsDiff(theirs, shardgradOutputs(model, X, ROWS)), kind).toBeLessThanOrEqual(1e-5);
    }
  });

  it('exports connections that skip layers as a functional model (Dense blocks, Add, Activation)', async () => {
    const cases: [number[], [number, number][]][] = [
      [[4, 6, 3], [[0, 2]]],
      [[5, 7, 6, 4, 3], allSkips([5, 7, 6, 4, 3])],
    ];
    for (const [i, [sizes, skips]] of cases.entries()) {
      const spec = mlpSpec(sizes, 'tanh', 'softmax', 'ce', skips);
      const model = randomModel(spec, 70 + i, preprocessOf('standardize', sizes[0], 71 + i));
      const X = randomInputs(ROWS, sizes[0], 72 + i);
      const files = exportModel(model, 'tfjs');
      const theirs = await tfjsOutputs(files, X, ROWS, sizes[0]);
      expect(maxAbsDiff(theirs, shardgradOutputs(model, X, ROWS)), JSON.stringify(skips)).toBeLessThanOrEqual(1e-5);
      const topology = JSON.parse(new TextDecoder().decode(files[0].bytes)).modelTopology.config.layers as { class_name: string }[];
      expect(topology.filter((l) => l.class_name === 'Add')).toHaveLength(new Set(skips.map(([, t]) => t)).size);
    }
  });

  it('writes weights.bin as float32 little-endian in manifest order, every byte accounted for', () => {
    const model = randomModel(mlpSpec([3, 4, 2], 'relu', 'softmax', 'ce'), 1);
    const [json, bin] = exportModel(model, 'tfjs');
    const manifest = JSON.parse(new TextDecoder().decode(json.bytes)).weightsManifest[0].weights as { name: string; shape: number[]; dtype: string }[];
    expect(manifest.map((w) => [w.name, w.shape, w.dtype])).toEqual([
      ['dense_1/kernel', [3, 4], 'float32'],
      ['dense_1/bias', [4], 'float32'],
      ['dense_2/kernel', [4, 2], 'float32'],
      ['dense_2/bias', [2], 'float32'],
    ]);
    // no preprocessing: the file holds the flat parameters as they are (W⁰, b⁰, W¹, b¹)
    expect(bin.bytes.byteLength).toBe((3 * 4 + 4 + 4 * 2 + 2) * 4);
    const view = new DataView(bin.bytes.buffer, bin.bytes.byteOffset, bin.bytes.byteLength);
    for (let i = 0; i < model.params.length; i++) expect(view.getFloat32(i * 4, true)).toBe(model.params[i]);
  });
});
