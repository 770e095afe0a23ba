import { describe, expect, it } from 'vitest';
import { decodeModelFile, encodeModelFile, mlpSpec, paramLayout, type ModelFileContents } from '../src/index.js';

const spec = mlpSpec([3, 4, 2], 'relu', 'softmax', 'ce');
const P = paramLayout(spec.sizes).total; // 3·4 + 4 + 4·2 + 2 = 26
const params = Float32Array.from({ length: P }, (_, i) => i / 7 - 1);
const contents: ModelFileContents = {
  kind: 'model',
  spec,
  tensors: new Map([['params', params]]),
  preprocess: { kind: 'standardize', mean: [0, 1, 2], std: [1, 2, 3] },
  meta: { epochs: 3 },
};

/** Replaces text inside the header only (same length), leaving the binary payload untouched. */
function editHeader(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const H = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const header = new TextDecoder().decode(bytes.subarray(12, 12 + H));
  const edited = new TextEncoder().encode(header.replace(from, to));
  expect(edited.length).toBe(H);
  const out = bytes.slice();
  out.set(edited, 12);
  return out;
}

describe('model files', () => {
  const bytes = encodeModelFile(contents);
  it('hold P = 26 parameters for 3-4-2', () => expect(P).toBe(26));
  it('round-trip spec, weights (bit for bit), preprocessing and metadata', () => {
    const back = decodeModelFile(bytes, 'm.sgm');
    expect(back.spec).toEqual(spec);
    expect(Buffer.from(back.tensors.get('params')!.buffer, back.tensors.get('params')!.byteOffset, P * 4)).toEqual(Buffer.from(params.buffer));
    expect(back.preprocess).toEqual(contents.preprocess);
    expect(back.meta).toEqual({ epochs: 3 });
  });
  it('start with the magic, a header length, and a 4-byte aligned payload', () => {
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('SHRDGRAD');
    const H = new DataView(bytes.buffer).getUint32(8, true);
    expect((12 + H) % 4).toBe(0);
    expect(bytes.length).toBe(12 + H + P * 4);
  });
  it('read the same from a Node Buffer at an odd offset of a larger pool', () => {
    const pool = Buffer.alloc(bytes.length + 3);
    pool.set(bytes, 3);
    const back = decodeModelFile(pool.subarray(3), 'pooled.sgm');
    expect(Array.from(back.tensors.get('params')!)).toEqual(Array.from(params));
  });
  it('reject a flipped weight byte (checksum)', () => {
    const b = bytes.slice();
    b[b.length - 5] ^= 0x40;
    expect(() => decodeModelFile(b, 'm.sgm')).toThrow('m.sgm: checksum mismatch: the weights are corrupt');
  });
  it('reject a truncated file', () => {
    expect(() => decodeModelFile(bytes.subarray(0, bytes.length - 8), 'm.sgm')).toThrow(/^m\.sgm: truncated: expected 104 bytes of weights, found 96$/);
    expect(() => decodeModelFile(bytes.subarray(0, 40), 'm.sgm')).toThrow(/^m\.sgm: truncated: header says/);
    expect(() => decodeModelFile(bytes.subarray(0, 5), 'm.sgm')).toThrow('m.sgm: not a shardgrad model file (only 5 bytes)');
  });
  it('reject wrong magic, another version, a corrupt header', () => {
    const b = bytes.slice();
    b[0] = 0x58;
    expect(() => decodeModelFile(b, 'x.bin')).toThrow('x.bin: not a shardgrad model file (wrong magic bytes)');
    const v2 = editHeader(bytes, '"version":1', '"version":9');
    expect(() => decodeModelFile(v2, 'm.sgm')).toThrow('m.sgm: unsupported model format version 9');
    const broken = bytes.slice();
    broken[12] = 0x78; // 'x' instead of the opening '{'
    expect(() => decodeModelFile(broken, 'm.sgm')).toThrow('m.sgm: corrupt header (not valid JSON)');
  });
  it('reject layer sizes that do not match the weights', () => {
    const other = editHeader(bytes, '"layers":[3,4,2]', '"layers":[3,5,2]');
    expect(() => decodeModelFile(other, 'm.sgm')).toThrow('m.sgm: layers 3-5-2 need 32 parameters, the file holds 26');
  });
});
