import { allSkips, mlpSpec, specLayout, type MLPSpec } from '@shardgrad/core';
import { describe, expect, it } from 'vitest';
import { exportModel } from '../src/index.js';
import { activationSpecs, preprocessOf, randomModel } from './fixtures.js';

/**
 * The published format (huggingface/safetensors README): 8 bytes N (u64, little-endian); N bytes of
 * UTF-8 JSON that begins with "{" and may be padded at the end with spaces (0x20); then the byte
 * buffer. Each tensor: {dtype, shape, data_offsets: [BEGIN, END]} relative to the buffer; the special
 * key __metadata__ is a string → string map; duplicate keys are disallowed. The reference reader also
 * requires the offsets to cover the buffer exactly, with no holes or overlaps.
 * Everything below reads the bytes itself; nothing comes from the writer.
 */
const DTYPE_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

function parseFile(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const N = view.getBigUint64(0, true);
  const headerBytes = bytes.subarray(8, 8 + Number(N));
  const text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  return { N: Number(N), text, header: JSON.parse(text) as Record<string, unknown>, buffer: bytes.subarray(8 + Number(N)) };
}

/** The keys of the header's top-level object in the order written, duplicates kept (JSON.parse would drop them). */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const s = JSON.parse(text.slice(i, j + 1)) as string;
      let k = j + 1;
      while (text[k] === ' ') k++;
      if (depth === 1 && text[k] === ':') keys.push(s);
      i = j + 1;
      continue;
    }
    if (c === '{' || c === '[') depth++;
    if (c === '}' || c === ']') depth--;
    i++;
  }
  return keys;
}

function tensorsOf(header: Record<string, unknown>) {
  return Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .map(([name, t]) => ({ name, ...(t as { dtype: string; shape: number[]; data_offsets: [number, number] }) }));
}

/** A tensor's values, read as little-endian floats from the buffer. */
function read(buffer: Uint8Array, t: { dtype: string; data_offsets: [number, number] }): number[] {
  const view = new DataView(buffer.buffer, buffer.byteOffset + t.data_offsets[0], t.data_offsets[1] - t.data_offsets[0]);
  const size = DTYPE_BYTES[t.dtype];
  return Array.from({ length: view.byteLength / size }, (_, i) => (t.dtype === 'F64' ? view.getFloat64(i * 8, true) : view.getFloat32(i * 4, true)));
}

const models = [
  randomModel(mlpSpec([784, 128, 10], 'relu', 'softmax', 'ce'), 1),
  randomModel(mlpSpec([5, 7, 6, 3], 'tanh', 'identity', 'mse', allSkips([5, 7, 6, 3])), 2, preprocessOf('standardize', 5, 3)),
  randomModel(mlpSpec([4, 3, 2], 'sigmoid', 'sigmoid', 'mse'), 4, preprocessOf('minmax', 4, 5, 1)),
  randomModel(mlpSpec([3, 4, 4, 2], 'relu', 'softmax', 'ce', [[1, 3]]), 6, preprocessOf('minmax', 3, 7)),
];

describe('safetensors export follows the published format', () => {
  for (const model of models) {
    const name = `${model.spec.sizes.join('-')} ${model.preprocess.kind}`;
    const files = exportModel(model, 'safetensors');
    const bytes = files[0].bytes;
    const { N, text, header, buffer } = parseFile(bytes);

    it(`${name}: one file, model.safetensors`, () => expect(files.map((f) => f.name)).toEqual(['model.safetensors']));

    it(`${name}: the header is N bytes of JSON starting with "{", padded with spaces only, to 8-byte alignment`, () => {
      expect(8 + N).toBeLessThanOrEqual(bytes.length);
      expect(text[0]).toBe('{');
      const end = text.trimEnd();
      expect(end.endsWith('}')).toBe(true);
      expect(/^ *$/.test(text.slice(end.length))).toBe(true);
      expect((8 + N) % 8).toBe(0);
      expect(typeof header).toBe('object');
      expect(Array.isArray(header)).toBe(false);
    });

    it(`${name}: no duplicate names`, () => {
      const keys = topLevelKeys(text);
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys.length).toBe(Object.keys(header).length);
    });

    it(`${name}: __metadata__ maps strings to strings only`, () => {
      const meta = header.__metadata__ as Record<string, unknown>;
      expect(typeof meta).toBe('object');
      for (const [k, v] of Object.entries(meta)) expect([k, typeof v]).toEqual([k, 'string']);
    });

    it(`${name}: every tensor has exactly dtype, shape and data_offsets, sized by dtype × shape`, () => {
      for (const t of tensorsOf(header)) {
        expect(Object.keys(header[t.name] as object).sort(), t.name).toEqual(['data_offsets', 'dtype', 'shape']);
        expect(Object.keys(DTYPE_BYTES)).toContain(t.dtype);
        expect(t.shape.every((d) => Number.isInteger(d) && d >= 0)).toBe(true);
        const [begin, end] = t.data_offsets;
        expect(end - begin, t.name).toBe(t.shape.reduce((p, d) => p * d, 1) * DTYPE_BYTES[t.dtype]);
        expect(begin % DTYPE_BYTES[t.dtype], `${t.name} aligned`).toBe(0);
      }
    });

    it(`${name}: offsets are in order and contiguous, covering the whole buffer with no holes`, () => {
      const ranges = tensorsOf(header).map((t) => t.data_offsets);
      let at = 0;
      for (const [begin, end] of ranges) {
        expect(begin).toBe(at);
        expect(end).toBeGreaterThanOrEqual(begin);
        at = end;
      }
      expect(at).toBe(buffer.length);
    });
  }
});

/** shardgrad's flat parameters rebuilt from the file alone: its metadata and (out, in) weights. */
function paramsFromFile(bytes: Uint8Array): { spec: MLPSpec; params: Float32Array; preprocess: Record<string, number[]> } {
  const { header, buffer } = parseFile(bytes);
  const meta = header.__metadata__ as Record<string, string>;
  const sizes = meta.layers.split('-').map(Number);
  const skips = meta.skips === '' ? [] : meta.skips.split(',').map((p) => p.split('>').map(Number) as [number, number]);
  const spec: MLPSpec = { sizes, activations: meta.activations.split(',') as MLPSpec['activations'], loss: meta.loss as MLPSpec['loss'], ...(skips.length ? { skips } : {}) };
  const layout = specLayout(spec);
  const params = new Float32Array(layout.total);
  const tensors = Object.fromEntries(tensorsOf(header).map((t) => [t.name, t]));
  const putTransposed = (name: string, offset: number, nIn: number, nOut: number) => {
    const t = tensors[name];
    expect(t.shape).toEqual([nOut, nIn]);
    const v = read(buffer, t);
    for (let i = 0; i < nIn; i++) for (let j = 0; j < nOut; j++) params[offset + i * nOut + j] = v[j * nIn + i];
  };
  layout.layers.forEach((slot, l) => {
    putTransposed(`layer${l}.weight`, slot.w, slot.nIn, slot.nOut);
    for (const s of layout.skipsInto[l]) putTransposed(`skip${layout.skips[s].from}to${l + 1}.weight`, layout.skips[s].w, layout.skips[s].nIn, slot.nOut);
    params.set(read(buffer, tensors[`layer${l}.bias`]), slot.b);
  });
  const preprocess = Object.fromEntries(Object.values(tensors).filter((t) => t.name.startsWith('preprocess.')).map((t) => [t.name.slice('preprocess.'.length), read(buffer, t)]));
  return { spec, params, preprocess };
}

describe('safetensors round trip', () => {
  it('gives back the spec, every parameter bit for bit, and the preprocessing exactly (float64)', () => {
    for (const model of [...models, ...activationSpecs([4, 5, 3]).map((s, i) => randomModel(s, 90 + i))]) {
      const back = paramsFromFile(exportModel(model, 'safetensors')[0].bytes);
      expect(back.spec).toEqual(model.spec);
      expect(Buffer.from(back.params.buffer).equals(Buffer.from(model.params.buffer))).toBe(true);
      const p = model.preprocess;
      expect(back.preprocess).toEqual(p.kind === 'standardize' ? { mean: p.mean, std: p.std } : p.kind === 'minmax' ? { min: p.min, max: p.max } : {});
    }
  });

  it('stores weights as PyTorch Linear does, (out, in): layer0.weight[j][i] is the weight from input i to unit j', () => {
    const model = randomModel(mlpSpec([3, 2, 2], 'relu', 'softmax', 'ce'), 11);
    const { header, buffer } = parseFile(exportModel(model, 'safetensors')[0].bytes);
    const w = read(buffer, header['layer0.weight'] as { dtype: string; data_offsets: [number, number] });
    // shardgrad's W⁰ is (in, out) row-major: W⁰[i][j] = params[i·2 + j]
    expect(w[1 * 3 + 2]).toBe(model.params[2 * 2 + 1]);
    expect(w[0 * 3 + 1]).toBe(model.params[1 * 2 + 0]);
  });
});
