import CRC32 from 'crc-32';
import { ACTIVATIONS, type Activation } from '../activations/activations.js';
import { errors } from '../errors.js';
import { LOSSES, type Loss } from '../losses/losses.js';
import { specLayout } from '../model/layout.js';
import type { Preprocess } from '../model/preprocess.js';
import { hasSkips, skipsSuffix, validateSpec, type MLPSpec } from '../model/spec.js';

/**
 * The shardgrad model file (also used for checkpoints, kind "checkpoint"), version 3:
 *
 *   bytes 0..7    magic "SHRDGRAD"
 *   bytes 8..11   H, the header length in bytes (uint32, little-endian)
 *   bytes 12..    the header: UTF-8 JSON, padded with spaces so the payload starts at a multiple of 4
 *   payload       the tensors named in header.tensors, in that order, float32 little-endian
 *   last 4 bytes  the CRC-32 of every byte before them (uint32, little-endian): magic, length,
 *                 header and payload, so one flipped bit anywhere is found
 *
 * The header holds {format:"shardgrad", version:3, kind, layers, activations, loss, skips?,
 * dtype:"float32", tensors:[{name,length}], checksum:{algorithm:"crc32", covers:"file"}, preprocess,
 * meta, data?}: skips:[[from, to], …] only for a network with connections that skip layers (sorted by
 * to, then from), data:{task, classes?, inputColumns?, targetColumns?} what the outputs mean (readers
 * ignore fields they do not know). Tensor "params" is the flat parameter vector (see model/layout.ts);
 * the last entry of activations is the output activation.
 *
 * Versions 1 and 2, written before, are read too: no trailer, and checksum:{algorithm:"crc32", value}
 * the CRC-32 of the payload only, so their header is not protected (the reader says so in
 * `unprotectedHeader`); version 2 is version 1 plus skips.
 */
export const MODEL_FORMAT_VERSION = 3;
/** Earlier versions, still read: 1 (no skips), 2 (skips); their checksum covers the payload only. */
const PAYLOAD_CHECKSUM_VERSIONS = [1, 2];
const MAGIC = 'SHRDGRAD';
/** bytes of the whole-file CRC-32 at the end of a version 3 file */
const TRAILER = 4;

/** The CRC-32 of `bytes` (unsigned), the checksum model files use. */
export function crc32Of(bytes: Uint8Array): number {
  return CRC32.buf(bytes) >>> 0;
}

/** The warning a front end shows for a file read with `unprotectedHeader` set. */
export function unprotectedHeaderWarning(source: string): string {
  return `warning: ${source} is in an older model format whose checksum covers the weights but not the header (input scaling, class names, step counts): it loads, but damage to its header would go unnoticed; files written from now on are checksummed whole`;
}

export interface ModelFileContents {
  readonly kind: 'model' | 'checkpoint';
  readonly spec: MLPSpec;
  /** named float32 tensors; "params" is required */
  readonly tensors: ReadonlyMap<string, Float32Array>;
  readonly preprocess: Preprocess;
  /** free-form JSON-safe metadata (training settings, step counters) */
  readonly meta: Record<string, unknown>;
  /** what the outputs mean and which columns were inputs (absent in older files) */
  readonly data?: DataDescription;
  /** set when read from a version 1 or 2 file: its checksum covers the weights only, not the header */
  readonly unprotectedHeader?: true;
}

/** What a model's outputs mean and which columns of a CSV it reads. */
export interface DataDescription {
  readonly task: 'classification' | 'regression';
  /** class names: output k (class k) is classes[k]; absent when the labels were class indices */
  readonly classes?: readonly string[];
  /** header names of the input columns, in order, when the training file had a header */
  readonly inputColumns?: readonly string[];
  /** header names of the label or target columns, when the training file had a header */
  readonly targetColumns?: readonly string[];
}

const isStringList = (a: unknown): a is string[] => Array.isArray(a) && a.every((x) => typeof x === 'string');

/** Checks a header's data description; a malformed one is an error naming the file. */
function readDataDescription(d: unknown, outputs: number, inputs: number, bad: (problem: string) => Error): DataDescription | undefined {
  if (d === undefined) return undefined;
  const o = d as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || (o.task !== 'classification' && o.task !== 'regression')) throw bad('header has a malformed data description');
  for (const key of ['classes', 'inputColumns', 'targetColumns'] as const)
    if (o[key] !== undefined && !isStringList(o[key])) throw bad(`header: data.${key} is not a list of names`);
  const classes = o.classes as string[] | undefined;
  if (classes && classes.length !== (outputs === 1 ? 2 : outputs)) throw bad(`header names ${classes.length} classes for ${outputs} outputs`);
  if (o.inputColumns !== undefined && (o.inputColumns as string[]).length !== inputs) throw bad(`header names ${(o.inputColumns as string[]).length} input columns for ${inputs} inputs`);
  return o as unknown as DataDescription;
}

interface Header {
  format: string;
  version: number;
  kind: 'model' | 'checkpoint';
  layers: number[];
  activations: Activation[];
  loss: Loss;
  skips?: [number, number][];
  dtype: 'float32';
  tensors: { name: string; length: number }[];
  /** version 3: covers the whole file (the trailer); versions 1 and 2: value = CRC-32 of the payload */
  checksum: { algorithm: 'crc32'; covers?: 'file'; value?: number };
  preprocess: Preprocess;
  meta: Record<string, unknown>;
  data?: DataDescription;
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Serialises a model or checkpoint to bytes. */
export function encodeModelFile(c: ModelFileContents): Uint8Array {
  if (!littleEndian) throw new Error('shardgrad model files need a little-endian host');
  const params = c.tensors.get('params');
  const P = specLayout(c.spec).total;
  if (!params || params.length !== P) throw new Error(`model file: params must hold ${P} floats`);
  const tensors = [...c.tensors].map(([name, data]) => ({ name, length: data.length }));
  const payloadFloats = tensors.reduce((s, t) => s + t.length, 0);
  const payload = new Float32Array(payloadFloats);
  let off = 0;
  for (const data of c.tensors.values()) {
    payload.set(data, off);
    off += data.length;
  }
  const payloadBytes = new Uint8Array(payload.buffer);
  const skips = hasSkips(c.spec) ? { skips: c.spec.skips!.map(([k, t]) => [k, t] as [number, number]) } : {};
  const header: Header = {
    format: 'shardgrad',
    version: MODEL_FORMAT_VERSION,
    kind: c.kind,
    layers: [...c.spec.sizes],
    activations: [...c.spec.activations],
    loss: c.spec.loss,
    ...skips,
    dtype: 'float32',
    tensors,
    checksum: { algorithm: 'crc32', covers: 'file' },
    preprocess: c.preprocess,
    meta: c.meta,
    ...(c.data ? { data: c.data } : {}),
  };
  let json = JSON.stringify(header);
  while ((12 + new TextEncoder().encode(json).length) % 4 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const end = 12 + headerBytes.length + payloadBytes.length;
  const out = new Uint8Array(end + TRAILER);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  out.set(payloadBytes, 12 + headerBytes.length);
  view.setUint32(end, CRC32.buf(out.subarray(0, end)) >>> 0, true);
  return out;
}

/**
 * Parses and validates a model file: magic, version, the checksum (version 3: of the whole file,
 * header included; versions 1 and 2: of the weights), header fields, tensor sizes against the layer
 * sizes. Every failure is a one-line ShardgradError naming `source`.
 */
export function decodeModelFile(bytes: Uint8Array, source: string): ModelFileContents {
  const bad = (problem: string) => errors.badInput(source, problem);
  if (bytes.length < 12) throw bad(`not a shardgrad model file (only ${bytes.length} bytes)`);
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw bad('not a shardgrad model file (wrong magic bytes)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const H = view.getUint32(8, true);
  if (12 + H > bytes.length) throw bad(`truncated: header says ${H} bytes, file has ${bytes.length - 12} after the magic`);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + H))) as Header;
  } catch {
    throw bad('corrupt header (not valid JSON)');
  }
  if (typeof header !== 'object' || header === null || header.format !== 'shardgrad') throw bad('corrupt header (format is not "shardgrad")');
  const legacy = PAYLOAD_CHECKSUM_VERSIONS.includes(header.version);
  if (!legacy && header.version !== MODEL_FORMAT_VERSION)
    throw bad(`unsupported model format version ${String(header.version)} (this shardgrad reads versions 1 to ${MODEL_FORMAT_VERSION})`);
  if (!Array.isArray(header.tensors) || header.tensors.some((t) => typeof t?.name !== 'string' || !Number.isInteger(t?.length) || t.length < 0))
    throw bad('header has a malformed tensor list');
  const expected = header.tensors.reduce((s, t) => s + t.length, 0) * 4;
  const payloadBytes = bytes.subarray(12 + H, legacy ? bytes.length : Math.max(12 + H, bytes.length - TRAILER));
  const found = bytes.length - 12 - H - (legacy ? 0 : TRAILER);
  if (found < expected) throw bad(`truncated: expected ${expected} bytes of weights, found ${Math.max(found, 0)}`);
  if (found > expected) throw bad(`${found - expected} unexpected bytes after the weights`);
  if (legacy) {
    // a single flipped bit cannot turn a version 3 header into one of these: it has no value field
    if (typeof header.checksum?.value !== 'number' || (CRC32.buf(payloadBytes) >>> 0) !== header.checksum.value) throw bad('checksum mismatch: the weights are corrupt');
  } else if ((CRC32.buf(bytes.subarray(0, bytes.length - TRAILER)) >>> 0) !== view.getUint32(bytes.length - TRAILER, true)) {
    throw bad('checksum mismatch: the file is corrupt (its header or its weights)');
  }
  if (header.kind !== 'model' && header.kind !== 'checkpoint') throw bad(`unknown file kind ${JSON.stringify(header.kind)}`);
  if (header.dtype !== 'float32') throw bad(`unsupported dtype ${JSON.stringify(header.dtype)}`);
  if (!Array.isArray(header.activations) || header.activations.some((a) => !ACTIVATIONS.includes(a))) throw bad('header has unknown activations');
  if (!LOSSES.includes(header.loss)) throw bad(`header has unknown loss ${JSON.stringify(header.loss)}`);
  let spec: MLPSpec = { sizes: header.layers, activations: header.activations, loss: header.loss };
  if (header.version === 2 && (!Array.isArray(header.skips) || header.skips.length === 0)) throw bad('header: a version 2 file needs a non-empty skips list');
  if (header.version !== 1 && header.skips !== undefined) {
    if (!Array.isArray(header.skips) || header.skips.length === 0) throw bad('header: skips must be a non-empty list');
    spec = { ...spec, skips: header.skips };
  }
  try {
    validateSpec(spec, 'layers');
  } catch (e) {
    throw bad(`header: ${(e as Error).message}`);
  }
  // copy into a fresh, aligned buffer (Node's Buffer.slice() would return a view, not a copy)
  const payload = new Float32Array(expected / 4);
  new Uint8Array(payload.buffer).set(payloadBytes);
  const tensors = new Map<string, Float32Array>();
  let off = 0;
  for (const t of header.tensors) {
    tensors.set(t.name, payload.subarray(off, off + t.length));
    off += t.length;
  }
  const P = specLayout(spec).total;
  const params = tensors.get('params');
  if (!params) throw bad('no "params" tensor');
  if (params.length !== P) throw bad(`layers ${spec.sizes.join('-')}${skipsSuffix(spec)} need ${P} parameters, the file holds ${params.length}`);
  const data = readDataDescription(header.data, spec.sizes[spec.sizes.length - 1], spec.sizes[0], bad);
  return {
    kind: header.kind,
    spec,
    tensors,
    preprocess: header.preprocess ?? { kind: 'none' },
    meta: header.meta ?? {},
    ...(data ? { data } : {}),
    ...(legacy ? { unprotectedHeader: true as const } : {}),
  };
}
