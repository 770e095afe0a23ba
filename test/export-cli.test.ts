import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadModel } from '@shardgrad/coordinator';
import { Rng } from '@shardgrad/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, jsonLines, runCli, tempDir } from './cli-helpers.js';
import { floats, handWrittenOnnx } from './fixtures/onnx-models.js';

const dir = tempDir('export-cli');
const csv = path.join(dir, 'shapes.csv');
const model = path.join(dir, 'shapes.sgm');
const inputs = path.join(dir, 'rows.csv');

/** Three named classes around three centres in 4-D, seeded; a header, so the model keeps its column and class names. */
function writeData(): void {
  const rng = new Rng(3);
  const centres: Record<string, number[]> = { circle: [0, 0, 4, 1], square: [3, 1, 0, 2], star: [0, 4, 1, -2] };
  const lines = ['a,b,c,d,shape'];
  for (let i = 0; i < 240; i++) {
    const name = Object.keys(centres)[i % 3];
    lines.push([...centres[name].map((c) => (c + rng.normal()).toFixed(4)), name].join(','));
  }
  writeFileSync(csv, lines.join('\n') + '\n');
  writeFileSync(inputs, 'a,b,c,d\n' + Array.from({ length: 30 }, () => Array.from({ length: 4 }, () => rng.uniform(-2, 5).toFixed(3)).join(',')).join('\n') + '\n');
}

beforeAll(() => {
  writeData();
  const r = runCli(['train', '--data', `csv:${csv}`, '--hidden', '6,5', '--connect', '0>2,1>3', '--epochs', '4', '--workers', '1', '--json', '--out', model]);
  expect(r.status, r.stderr).toBe(0);
});

describe('shardgrad export → shardgrad import gives back a model that predicts and evaluates the same', () => {
  it('same parameters bit for bit, preprocessing, class names; predict and eval print the same', () => {
    const onnxFile = path.join(dir, 'shapes.onnx');
    const back = path.join(dir, 'back.sgm');
    const e = runCli(['export', '--model', model, '--format', 'onnx', '--out', onnxFile]);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stdout).toContain(`exported ${model} (4-6-5-3 relu,relu,softmax with skips 0>2,1>3, preprocessing standardize) as onnx: ${onnxFile}`);
    const i = runCli(['import', '--model', onnxFile, '--out', back]);
    expect(i.status, i.stderr).toBe(0);
    expect(i.stdout).toContain(`imported ${onnxFile}: 4-6-5-3 relu,relu,softmax with skips 0>2,1>3 (loss ce), preprocessing standardize → ${back}`);

    const [a, b] = [loadModel(model), loadModel(back)];
    expect(b.spec).toEqual(a.spec);
    expect(Buffer.from(b.params.buffer, b.params.byteOffset, b.params.byteLength).equals(Buffer.from(a.params.buffer, a.params.byteOffset, a.params.byteLength))).toBe(true);
    expect(b.preprocess).toEqual(a.preprocess);

    const predict = (m: string) => runCli(['predict', '--model', m, '--input', inputs, '--json']);
    const [pa, pb] = [predict(model), predict(back)];
    expect(pb.status, pb.stderr).toBe(0);
    expect(jsonLines(pb.stdout)).toEqual(jsonLines(pa.stdout));
    expect(new Set(jsonLines(pb.stdout).map((l) => l.label))).not.toContain(null);
    expect(jsonLines(pb.stdout).every((l) => ['circle', 'square', 'star'].includes(l.label as string))).toBe(true);

    const evaluate = (m: string) => runCli(['eval', '--model', m, '--data', `csv:${csv}`, '--json']);
    const [ea, eb] = [evaluate(model), evaluate(back)];
    expect(eb.status, eb.stderr).toBe(0);
    expect(JSON.parse(eb.stdout)).toEqual(JSON.parse(ea.stdout));
  });

  it('each format writes its files (tfjs: model.json and weights.bin beside it) and says where', () => {
    const out = path.join(dir, 'formats');
    mkdirSync(out);
    for (const [format, file, also] of [
      ['onnx', 'm.onnx', []],
      ['tfjs', 'm.json', ['weights.bin']],
      ['safetensors', 'm.safetensors', []],
    ] as const) {
      const r = runCli(['export', '--model', model, '--format', format, '--out', path.join(out, file)]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      for (const f of [file, ...also]) expect(r.stdout).toContain(path.join(out, f));
    }
    expect(readdirSync(out).sort()).toEqual(['m.json', 'm.onnx', 'm.safetensors', 'weights.bin']);
  });
});

describe('export and import errors: one line naming the flag or file, exit 2, nothing written', () => {
  it('--out a folder, a device, in a missing folder, or the --model file itself', () => {
    const folder = path.join(dir, 'a-folder');
    mkdirSync(folder);
    expectOneLineError(runCli(['export', '--model', model, '--format', 'onnx', '--out', folder]), `--out: cannot write ${folder}: it is a folder`);
    expect(readdirSync(folder)).toEqual([]);
    expectOneLineError(runCli(['export', '--model', model, '--format', 'onnx', '--out', '/dev/null']), '--out: cannot write /dev/null: it is a character device');
    expectOneLineError(runCli(['export', '--model', model, '--format', 'safetensors', '--out', path.join(dir, 'missing', 'm.safetensors')]), 'does not exist');
    expectOneLineError(runCli(['export', '--model', model, '--format', 'onnx', '--out', model]), `--out: ${model} is the --model file`);
    expectOneLineError(runCli(['import', '--model', path.join(dir, 'shapes.onnx'), '--out', folder]), `--out: cannot write ${folder}: it is a folder`);
  });

  it('a missing or corrupt --model, an unknown --format', () => {
    expectOneLineError(runCli(['export', '--model', path.join(dir, 'nope.sgm'), '--format', 'onnx', '--out', path.join(dir, 'x.onnx')]), `${path.join(dir, 'nope.sgm')}: no such file`);
    const corrupt = path.join(dir, 'corrupt.sgm');
    writeFileSync(corrupt, readFileSync(model).subarray(0, 100));
    expectOneLineError(runCli(['export', '--model', corrupt, '--format', 'onnx', '--out', path.join(dir, 'x.onnx')]), `${corrupt}: truncated`);
    expectOneLineError(runCli(['export', '--model', model, '--format', 'keras', '--out', path.join(dir, 'x.onnx')]), /Invalid values: Argument: format, Given: "keras"/);
    expect(existsSync(path.join(dir, 'x.onnx'))).toBe(false);
  });

  it('tfjs: when weights.bin cannot be written, model.json is not written either', () => {
    const out = path.join(dir, 'half');
    mkdirSync(path.join(out, 'weights.bin'), { recursive: true }); // a folder where weights.bin would go
    expectOneLineError(runCli(['export', '--model', model, '--format', 'tfjs', '--out', path.join(out, 'model.json')]), 'weights.bin');
    expect(readdirSync(out)).toEqual(['weights.bin']);
  });

  it('import: an ONNX op shardgrad does not run is named with its node; a file that is not ONNX', () => {
    const bytes = handWrittenOnnx({
      name: 'conv',
      node: [
        { opType: 'Gemm', input: ['x', 'W', 'b'], output: ['v'] },
        { opType: 'Relu', input: ['v'], output: ['h'] },
        { opType: 'Gemm', input: ['h', 'W', 'b'], output: ['w'] },
        { opType: 'Conv', input: ['w', 'W'], output: ['y'] },
      ],
      initializer: [floats('W', [2, 2], [1, 0, 0, 1]), floats('b', [2], [0, 0])],
      inputs: 2,
      outputs: 2,
    });
    const file = path.join(dir, 'm.onnx');
    writeFileSync(file, bytes);
    const out = path.join(dir, 'conv.sgm');
    const r = runCli(['import', '--model', file, '--out', out]);
    expectOneLineError(r, `${file}: node 3 (Conv) is not supported: shardgrad imports Gemm, MatMul+Add, Relu, Sigmoid, Tanh, Softmax`);
    expect(existsSync(out)).toBe(false);
    expectOneLineError(runCli(['import', '--model', csv, '--out', out]), `${csv}: not an ONNX model`);
    expectOneLineError(runCli(['import', '--model', model, '--out', out]), `${model}: not an ONNX model: it is a shardgrad model file already`);
    expect(existsSync(out)).toBe(false);
  });

  it('--help of both commands has examples', () => {
    for (const c of ['export', 'import']) {
      const r = runCli([c, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`shardgrad ${c}`);
      expect(r.stdout).toContain('Examples:');
    }
  });
});
