import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import CRC32 from 'crc-32';
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

const headerLength = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
const headerText = (bytes: Uint8Array) => new TextDecoder().decode(bytes.subarray(12, 12 + headerLength(bytes)));

/** The CRC-32 of everything but the last 4 bytes written into them: a file edited and resealed, as a deliberate writer would. */
function reseal(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(bytes.length - 4, CRC32.buf(bytes.subarray(0, bytes.length - 4)) >>> 0, true);
  return bytes;
}

/** Replaces text inside the header only (same length), leaving the payload and the trailer untouched. */
function editHeader(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const H = headerLength(bytes);
  const edited = new TextEncoder().encode(headerText(bytes).replace(from, to.padEnd(from.length, ' ')));
  expect(edited.length).toBe(H);
  const out = bytes.slice();
  out.set(edited, 12);
  return out;
}

const legacyDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/format-v1');

describe('model files (version 3)', () => {
  const bytes = encodeModelFile(contents);
  it('hold P = 26 parameters for 3-4-2', () => expect(P).toBe(26));
  it('round-trip spec, weights (bit for bit), preprocessing and metadata', () => {
    const back = decodeModelFile(bytes, 'm.sgm');
    expect(back.spec).toEqual(spec);
    expect(Buffer.from(back.tensors.get('params')!.buffer, back.tensors.get('params')!.byteOffset, P * 4)).toEqual(Buffer.from(params.buffer));
    expect(back.preprocess).toEqual(contents.preprocess);
    expect(back.meta).toEqual({ epochs: 3 });
    expect(back.unprotectedHeader).toBeUndefined();
  });
  it('start with the magic and a header length, have a 4-byte aligned payload, and end with the CRC-32 of all bytes before it', () => {
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('SHRDGRAD');
    const H = headerLength(bytes);
    expect((12 + H) % 4).toBe(0);
    expect(bytes.length).toBe(12 + H + P * 4 + 4);
    expect(headerText(bytes)).toContain('"version":3');
    expect(headerText(bytes)).toContain('"checksum":{"algorithm":"crc32","covers":"file"}');
    // the trailer, against the crc-32 package on the bytes before it
    expect(new DataView(bytes.buffer).getUint32(bytes.length - 4, true)).toBe(CRC32.buf(bytes.subarray(0, bytes.length - 4)) >>> 0);
    // the payload is the parameters, float32 little-endian
    expect(Buffer.from(bytes.subarray(12 + H, 12 + H + P * 4))).toEqual(Buffer.from(params.buffer));
  });
  it('read the same from a Node Buffer at an odd offset of a larger pool', () => {
    const pool = Buffer.alloc(bytes.length + 3);
    pool.set(bytes, 3);
    const back = decodeModelFile(pool.subarray(3), 'pooled.sgm');
    expect(Array.from(back.tensors.get('params')!)).toEqual(Array.from(params));
  });
  it('reject every single flipped bit, header and trailer included, in one line', () => {
    const messages = new Set<string>();
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const b = bytes.slice();
        b[i] ^= 1 << bit;
        let message = '';
        try {
          decodeModelFile(b, 'm.sgm');
        } catch (e) {
          message = (e as Error).message;
        }
        expect(message, `byte ${i}, bit ${bit}`).toMatch(/^m\.sgm: /);
        expect(message).not.toContain('\n');
        messages.add(message.replace(/\d+/g, 'N'));
      }
    }
    expect(messages).toContain('m.sgm: checksum mismatch: the file is corrupt (its header or its weights)');
  });
  it('a flipped bit in the input scaling, a class name or a step count (valid JSON, same length) is refused', () => {
    const named = encodeModelFile({ ...contents, meta: { step: 17 }, data: { task: 'classification', classes: ['cat', 'dog'] } });
    for (const [from, to] of [['"std":[1,2,3]', '"std":[1,3,3]'], ['"cat"', '"bat"'], ['"step":17', '"step":19']]) {
      expect(() => decodeModelFile(editHeader(named, from, to), 'm.sgm')).toThrow('m.sgm: checksum mismatch: the file is corrupt (its header or its weights)');
    }
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
    expect(() => decodeModelFile(editHeader(bytes, '"version":3', '"version":9'), 'm.sgm')).toThrow('m.sgm: unsupported model format version 9 (this shardgrad reads versions 1 to 3)');
    const broken = bytes.slice();
    broken[12] = 0x78; // 'x' instead of the opening '{'
    expect(() => decodeModelFile(broken, 'm.sgm')).toThrow('m.sgm: corrupt header (not valid JSON)');
  });
  it('a version 3 header turned into version 1 or 2 by one flipped bit is refused (it carries no payload checksum)', () => {
    expect(() => decodeModelFile(editHeader(bytes, '"version":3', '"version":1'), 'm.sgm')).toThrow(/^m\.sgm: (4 unexpected bytes after the weights|checksum mismatch)/);
  });
  it('reject layer sizes that do not match the weights (a resealed header)', () => {
    const other = reseal(editHeader(bytes, '"layers":[3,4,2]', '"layers":[3,5,2]'));
    expect(() => decodeModelFile(other, 'm.sgm')).toThrow('m.sgm: layers 3-5-2 need 32 parameters, the file holds 26');
  });
});

describe('model files of earlier versions (test/fixtures/format-v1, written by the previous release)', () => {
  const v1 = readFileSync(path.join(legacyDir, 'xor-v1.sgm'));
  it('version 1 still loads, flagged as having an unprotected header', () => {
    const m = decodeModelFile(v1, 'xor-v1.sgm');
    expect(headerText(v1)).toContain('"version":1');
    expect(m.spec.sizes).toEqual([2, 3, 2]);
    // 2·3 + 3 + 3·2 + 2 = 17 parameters, the whole payload after the header
    expect(m.tensors.get('params')!.length).toBe(17);
    expect(Buffer.from(m.tensors.get('params')!.buffer)).toEqual(v1.subarray(12 + headerLength(v1)));
    expect(m.unprotectedHeader).toBe(true);
  });
  it('version 2 (skips) still loads', () => {
    const m = decodeModelFile(readFileSync(path.join(legacyDir, 'skips-v2.sgm')), 'skips-v2.sgm');
    expect([m.spec.skips, m.unprotectedHeader]).toEqual([[[0, 2]], true]);
  });
  it('their weights stay checked: a flipped weight byte is refused', () => {
    const b = Uint8Array.from(v1);
    b[b.length - 5] ^= 0x40;
    expect(() => decodeModelFile(b, 'xor-v1.sgm')).toThrow('xor-v1.sgm: checksum mismatch: the weights are corrupt');
  });
  it('written again, a version 1 model becomes version 3 with the same weights', () => {
    const m = decodeModelFile(v1, 'xor-v1.sgm');
    const again = encodeModelFile(m);
    expect(headerText(again)).toContain('"version":3');
    expect(Buffer.from(decodeModelFile(again, 'again.sgm').tensors.get('params')!.buffer)).toEqual(Buffer.from(m.tensors.get('params')!.buffer));
  });
});
