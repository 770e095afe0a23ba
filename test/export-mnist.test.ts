import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadDataset, parseDataFlag } from '@shardgrad/coordinator';
import * as tf from '@tensorflow/tfjs';
import ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli, tempDir } from './cli-helpers.js';

/**
 * The default model of `shardgrad train` (784-128-10, ReLU, softmax + cross-entropy, no input
 * scaling for MNIST), exported in each format and run by something other than shardgrad, must give
 * `shardgrad predict`'s outputs on the 2,000 held-out digits: argmax equal, outputs within 1e-5.
 */
const dir = tempDir('export-mnist');
const model = path.join(dir, 'model.sgm');
let rows = 0;
let X: Float32Array; // (rows, 784) the held-out digits
let predicted: number[][]; // shardgrad predict's outputs, (rows, 10)

beforeAll(() => {
  const train = runCli(['train', '--out', model, '--json']);
  expect(train.status, train.stderr).toBe(0);
  const data = loadDataset(parseDataFlag('mnist'), 1);
  rows = data.testRows.length;
  X = new Float32Array(rows * 784);
  data.testRows.forEach((r, i) => X.set(data.X.subarray(r * 784, (r + 1) * 784), i * 784));
  const csv = path.join(dir, 'test-digits.csv');
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) lines.push(Array.from(X.subarray(r * 784, (r + 1) * 784)).join(','));
  writeFileSync(csv, lines.join('\n') + '\n');
  const p = runCli(['predict', '--model', model, '--input', csv, '--json']);
  expect(p.status, p.stderr).toBe(0);
  predicted = jsonLines(p.stdout).map((l) => l.outputs as number[]);
  expect(predicted).toHaveLength(rows);
});

function exportAs(format: string, out: string): void {
  const r = runCli(['export', '--model', model, '--format', format, '--out', out]);
  expect(r.status, r.stderr).toBe(0);
}

const argmax = (a: ArrayLike<number>) => Array.prototype.indexOf.call(a, Math.max(...Array.from(a)));

/** Asserts the agreement the issue asks for, row by row. */
function expectSameAsPredict(outputs: ArrayLike<number>, what: string): void {
  expect(outputs.length).toBe(rows * 10);
  let worst = 0;
  let argmaxDiffers = 0;
  for (let r = 0; r < rows; r++) {
    const mine = Array.from({ length: 10 }, (_, j) => outputs[r * 10 + j]);
    if (argmax(mine) !== argmax(predicted[r])) argmaxDiffers++;
    for (let j = 0; j < 10; j++) worst = Math.max(worst, Math.abs(mine[j] - predicted[r][j]));
  }
  expect(argmaxDiffers, `${what}: rows whose class differs`).toBe(0);
  expect(worst, `${what}: largest output difference`).toBeLessThanOrEqual(1e-5);
}

describe('the default MNIST model, exported, predicts like shardgrad predict on the 2,000 held-out digits', () => {
  it('ONNX in onnxruntime-node', async () => {
    const file = path.join(dir, 'digits.onnx');
    exportAs('onnx', file);
    const session = await ort.InferenceSession.create(file);
    const result = await session.run({ input: new ort.Tensor('float32', X, [rows, 784]) });
    expectSameAsPredict(result.output.data as Float32Array, 'onnx');
  });

  it('TF.js layers model in @tensorflow/tfjs (tf.io.fromMemory)', async () => {
    const file = path.join(dir, 'web', 'model.json');
    mkdirSync(path.dirname(file)); // --out's folder must exist, as for every command
    exportAs('tfjs', file);
    const json = JSON.parse(readFileSync(file, 'utf8'));
    const bin = readFileSync(path.join(path.dirname(file), json.weightsManifest[0].paths[0]));
    await tf.setBackend('cpu');
    const m = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }),
    );
    const out = m.predict(tf.tensor2d(X, [rows, 784])) as tf.Tensor;
    expectSameAsPredict(await out.data(), 'tfjs');
  });

  it('safetensors, read and run by a float64 forward pass written here', () => {
    const file = path.join(dir, 'digits.safetensors');
    exportAs('safetensors', file);
    const bytes = readFileSync(file);
    const N = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + N).toString('utf8'));
    expect(header.__metadata__).toMatchObject({ layers: '784-128-10', activations: 'relu,softmax', loss: 'ce', preprocess: 'none' });
    const buffer = bytes.subarray(8 + N);
    const tensor = (name: string) => {
      const [a, b] = header[name].data_offsets as [number, number];
      return Array.from({ length: (b - a) / 4 }, (_, i) => buffer.readFloatLE(a + i * 4));
    };
    const [W0, b0, W1, b1] = [tensor('layer0.weight'), tensor('layer0.bias'), tensor('layer1.weight'), tensor('layer1.bias')]; // W as (out, in)
    const outputs = new Float64Array(rows * 10);
    const h = new Float64Array(128);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < 128; j++) {
        let v = b0[j];
        for (let i = 0; i < 784; i++) v += X[r * 784 + i] * W0[j * 784 + i];
        h[j] = Math.max(v, 0); // ReLU
      }
      const v = Array.from({ length: 10 }, (_, k) => b1[k] + Array.from(h).reduce((s, hj, j) => s + hj * W1[k * 128 + j], 0));
      const max = Math.max(...v);
      const e = v.map((x) => Math.exp(x - max));
      const sum = e.reduce((s, x) => s + x, 0);
      e.forEach((x, k) => (outputs[r * 10 + k] = x / sum)); // softmax
    }
    expectSameAsPredict(outputs, 'safetensors');
  });
});
