import type { Preprocess } from '@shardgrad/core';
import { denseLayers, type ExportableModel } from '../model.js';

interface Entry {
  readonly name: string;
  readonly dtype: 'F32' | 'F64';
  readonly shape: number[];
  readonly data: Float32Array | Float64Array;
}

/** A (rows, cols) row-major block transposed to (cols, rows): PyTorch's Linear keeps weight as (out, in). */
function transpose(W: Float32Array, rows: number, cols: number): Float32Array {
  const T = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) T[j * rows + i] = W[i * cols + j];
  return T;
}

/** The preprocessing vectors, float64 so that they hold shardgrad's numbers exactly. */
function preprocessEntries(p: Preprocess): Entry[] {
  const vectors: [string, number[]][] = p.kind === 'standardize' ? [['mean', p.mean], ['std', p.std]] : p.kind === 'minmax' ? [['min', p.min], ['max', p.max]] : [];
  return vectors.map(([name, v]) => ({ name: `preprocess.${name}`, dtype: 'F64', shape: [v.length], data: Float64Array.from(v) }));
}

/**
 * The model as a safetensors file (8-byte little-endian header length N, N bytes of JSON padded with
 * spaces to a multiple of 8, then the tensors back to back, little-endian). Tensors, in this order:
 * preprocess.mean/std or preprocess.min/max (F64, (n₀)) for scaled inputs; then per weight layer l
 * `layer{l}.weight` (F32, (n_{l+1}, n_l): PyTorch Linear's (out, in), so y = x·Wᵀ + b), the blocks of
 * the connections that skip layers into it, `skip{k}to{l+1}.weight` ((n_{l+1}, n_k)), and
 * `layer{l}.bias` (F32, (n_{l+1})). __metadata__ holds the architecture: format "pt", producer,
 * layers ("784-128-10"), activations ("relu,softmax"), loss, skips ("0>2,1>3" or ""), preprocess
 * (its kind), and the model's meta as JSON.
 */
export function exportSafetensors(model: ExportableModel): Uint8Array {
  const layers = denseLayers(model);
  const { spec } = model;
  const entries: Entry[] = preprocessEntries(model.preprocess); // F64 first: every tensor starts aligned to its element size
  layers.forEach((layer, l) => {
    entries.push({ name: `layer${l}.weight`, dtype: 'F32', shape: [layer.main.nOut, layer.main.nIn], data: transpose(layer.main.W, layer.main.nIn, layer.main.nOut) });
    for (const s of layer.skips) entries.push({ name: `skip${s.from}to${s.to}.weight`, dtype: 'F32', shape: [s.nOut, s.nIn], data: transpose(s.W, s.nIn, s.nOut) });
    entries.push({ name: `layer${l}.bias`, dtype: 'F32', shape: [layer.b.length], data: Float32Array.from(layer.b) });
  });

  const metadata: Record<string, string> = {
    format: 'pt',
    producer: 'shardgrad',
    layers: spec.sizes.join('-'),
    activations: spec.activations.join(','),
    loss: spec.loss,
    skips: (spec.skips ?? []).map(([k, t]) => `${k}>${t}`).join(','),
    preprocess: model.preprocess.kind,
    meta: JSON.stringify(model.meta ?? {}),
  };
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.data.byteLength] };
    offset += e.data.byteLength;
  }
  const encoder = new TextEncoder();
  let json = JSON.stringify(header);
  const jsonBytes = encoder.encode(json).length;
  json += ' '.repeat((8 - (jsonBytes % 8)) % 8); // the data starts 8-byte aligned
  const headerBytes = encoder.encode(json);

  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const e of entries) {
    out.set(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength), at); // the host is little-endian (checked in index.ts)
    at += e.data.byteLength;
  }
  return out;
}
