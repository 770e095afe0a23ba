import { errors } from '../errors.js';
import type { FloatArray, Kernels } from './kernels.js';
import { referenceKernels } from './reference.js';

/**
 * The WebAssembly SIMD kernels (source: packages/core/assembly/, compiled by `build:wasm` into
 * dist/kernels/). Two builds of the same source: `relaxed` multiplies-and-adds with the fused
 * f32x4.relaxed_madd, `simd` with f32x4.mul + f32x4.add where a runtime lacks relaxed SIMD.
 *
 * Memory: the module's linear memory is private scratch. Each call copies the operands it reads
 * into it, runs, and copies its outputs back (copy-in/out; docs/kernels.md gives the measured cost
 * against operands already resident in wasm memory). Float64 operands (gradient checks) go to the
 * reference kernels.
 */
export type WasmFlavor = 'relaxed' | 'simd';

/** The few WebAssembly APIs used here (core compiles against ES2022 + Node types, without the DOM lib). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  instantiate(bytes: ArrayBuffer | ArrayBufferView, imports: object): Promise<{ instance: { exports: unknown } }>;
};
type WasmBytes = ArrayBuffer | ArrayBufferView;

/** The exports of the compiled module (pointers and strides in bytes, sizes in elements). */
interface KernelExports {
  readonly memory: WasmMemory;
  heapBase(): number;
  gemmBias(v: number, y: number, W: number, b: number, m: number, k: number, n: number): void;
  gemmNT(dy: number, dv: number, W: number, m: number, n: number, k: number, scratch: number): void;
  gemmTNAcc(dW: number, db: number, y: number, dv: number, m: number, k: number, n: number): void;
  denseForward(v: number, out: number, y: number, W: number, b: number, m: number, k: number, n: number, act: number): void;
  denseBackwardInput(dvBelow: number, dv: number, W: number, vBelow: number, m: number, n: number, k: number, act: number, scratch: number): void;
}

/** The activations the module fuses, by the code it takes (assembly/index.ts); others return -1. */
function fusedCode(act: string): number {
  return act === 'identity' ? 0 : act === 'relu' ? 1 : -1;
}

/** A module whose one function is f32x4.relaxed_madd: valid only where relaxed SIMD is on. */
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 v128 v128) -> v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // body
]);

/** A module whose one function is f32x4.splat of 0: valid where (plain) SIMD is on. */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x0b, 0x01, 0x09, 0x00, 0x43, 0x00, 0x00, 0x00, 0x00, 0xfd, 0x13, 0x0b, // f32.const 0; f32x4.splat
]);

/** Whether this runtime validates relaxed SIMD now (Node 20: only with the V8 flag, see enableRelaxedSimd). */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(RELAXED_PROBE);
}

/** Whether this runtime runs 128-bit WebAssembly SIMD at all (every current browser and Node ≥ 16). */
export function simdSupported(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}

/**
 * In Node, turns on V8's relaxed SIMD (`--experimental-wasm-relaxed-simd`) for the whole process,
 * worker threads included (Node refuses V8 flags in a Worker's execArgv, so this is the way to
 * give them to workers). Call once before loading the kernels. Returns whether relaxed SIMD now
 * validates; in a browser it only reports.
 */
export async function enableRelaxedSimd(): Promise<boolean> {
  const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;
  if (!relaxedSimdSupported() && isNode) {
    const v8 = await import(/* @vite-ignore */ 'node:v8');
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  }
  return relaxedSimdSupported();
}

/** The file name of a build, next to this module in dist/kernels/. */
export function wasmFileName(flavor: WasmFlavor): string {
  return `shardgrad-kernels-${flavor}.wasm`;
}

/**
 * Where a build lies next to this module. Written as two literal `new URL('./…', import.meta.url)`
 * so that bundlers (Vite) see the files and ship them with the app.
 */
function defaultUrl(flavor: WasmFlavor): URL {
  return flavor === 'relaxed'
    ? new URL('./shardgrad-kernels-relaxed.wasm', import.meta.url)
    : new URL('./shardgrad-kernels-simd.wasm', import.meta.url);
}

/** The bytes behind a URL: read from disk for file: URLs (Node), fetched otherwise (browser). */
async function readBytes(url: URL): Promise<ArrayBuffer | Uint8Array> {
  if (url.protocol === 'file:') {
    const fs = await import(/* @vite-ignore */ 'node:fs/promises');
    try {
      return await fs.readFile(url);
    } catch {
      throw errors.badInput(url.pathname, 'WebAssembly kernels not found: run `pnpm build` (it compiles packages/core/assembly)');
    }
  }
  const res = await fetch(url);
  if (!res.ok) throw errors.badInput(url.href, `WebAssembly kernels could not be fetched (HTTP ${res.status})`);
  return res.arrayBuffer();
}

export interface WasmLoadOptions {
  /** the .wasm bytes, or where to get them; default: the build next to this module (import.meta.url) */
  readonly source?: WasmBytes | URL | string;
  /** which build; default 'auto': relaxed where the runtime validates it, else simd */
  readonly flavor?: WasmFlavor | 'auto';
}

/**
 * Loads and instantiates the WebAssembly kernels, in Node or a browser. With no source, the build
 * matching the runtime is read from next to this module (dist/kernels/shardgrad-kernels-*.wasm).
 * A given source must be the build of the chosen flavor.
 */
export async function loadWasmKernels(options: WasmLoadOptions = {}): Promise<WasmKernels> {
  if (!simdSupported()) throw errors.badInput('kernels', 'this runtime has no WebAssembly SIMD; use the reference kernels');
  const wanted = options.flavor ?? 'auto';
  const flavor: WasmFlavor = wanted === 'auto' ? (relaxedSimdSupported() ? 'relaxed' : 'simd') : wanted;
  if (flavor === 'relaxed' && !relaxedSimdSupported())
    throw errors.badInput('kernels', 'relaxed SIMD is not enabled in this runtime (Node 20: call enableRelaxedSimd() or pass --experimental-wasm-relaxed-simd)');
  const src = options.source ?? defaultUrl(flavor);
  const bytes = typeof src === 'string' || src instanceof URL ? await readBytes(new URL(src, import.meta.url)) : src;
  const { instance } = await WebAssembly.instantiate(bytes, {});
  return new WasmKernels(instance.exports as unknown as KernelExports, flavor);
}

/** output views are cached under p·2²⁴ + length */
const VIEW_KEY = 2 ** 24;
/** 16-byte alignment for operands placed in wasm memory (aligned f32x4 loads) */
const ALIGN = 16;

/** The Kernels interface over one instance of the wasm module; one per thread. */
export class WasmKernels implements Kernels {
  readonly name: string;
  private readonly x: KernelExports;
  private readonly base: number;
  /** float view of the whole wasm memory, remade only when the memory grows */
  private heap: Float32Array;
  /** next free byte of the scratch during one call */
  private top = 0;
  /** output views of the heap by (byte offset, length): made once per shape, so steady calls allocate nothing */
  private readonly views = new Map<number, Float32Array>();

  constructor(exports: KernelExports, readonly flavor: WasmFlavor) {
    this.x = exports;
    this.name = `wasm-${flavor}`;
    this.base = align(exports.heapBase());
    this.heap = new Float32Array(exports.memory.buffer);
  }

  gemmBias(v: FloatArray, y: FloatArray, W: FloatArray, b: FloatArray, m: number, k: number, n: number): void {
    if (!(v instanceof Float32Array && y instanceof Float32Array && W instanceof Float32Array && b instanceof Float32Array))
      return referenceKernels.gemmBias(v, y, W, b, m, k, n);
    this.begin(m * n + y.length + W.length + b.length);
    const pv = this.reserve(m * n); // v: (m, n)
    const py = this.copyIn(y); // y: (m, k)
    const pW = this.copyIn(W); // W: (k, n)
    const pb = this.copyIn(b); // b: (n)
    this.x.gemmBias(pv, py, pW, pb, m, k, n);
    this.copyOut(v, pv, m * n);
  }

  gemmNT(dy: FloatArray, dv: FloatArray, W: FloatArray, m: number, n: number, k: number): void {
    if (!(dy instanceof Float32Array && dv instanceof Float32Array && W instanceof Float32Array))
      return referenceKernels.gemmNT(dy, dv, W, m, n, k);
    this.begin(m * k + dv.length + W.length + n * k);
    const pdy = this.reserve(m * k); // dy: (m, k)
    const pdv = this.copyIn(dv); // dv: (m, n)
    const pW = this.copyIn(W); // W: (k, n)
    const pWt = this.reserve(n * k); // Wᵀ: (n, k), written by the kernel
    this.x.gemmNT(pdy, pdv, pW, m, n, k, pWt);
    this.copyOut(dy, pdy, m * k);
  }

  gemmTNAcc(dW: FloatArray, db: FloatArray, y: FloatArray, dv: FloatArray, m: number, k: number, n: number): void {
    if (!(dW instanceof Float32Array && db instanceof Float32Array && y instanceof Float32Array && dv instanceof Float32Array))
      return referenceKernels.gemmTNAcc(dW, db, y, dv, m, k, n);
    this.begin(dW.length + db.length + y.length + dv.length);
    const pdW = this.copyIn(dW); // dW: (k, n), accumulated into
    const pdb = this.copyIn(db); // db: (n)
    const py = this.copyIn(y); // y: (m, k)
    const pdv = this.copyIn(dv); // dv: (m, n)
    this.x.gemmTNAcc(pdW, pdb, py, pdv, m, k, n);
    this.copyOut(dW, pdW, k * n);
    this.copyOut(db, pdb, n);
  }

  denseForward(v: FloatArray, out: FloatArray, y: FloatArray, W: FloatArray, b: FloatArray, m: number, k: number, n: number, act: string): boolean {
    const code = fusedCode(act);
    if (code < 0) return false;
    if (!(v instanceof Float32Array && out instanceof Float32Array && y instanceof Float32Array && W instanceof Float32Array && b instanceof Float32Array))
      return false;
    this.begin(2 * m * n + y.length + W.length + b.length);
    const pv = this.reserve(m * n); // v: (m, n)
    const pout = this.reserve(m * n); // g(v): (m, n)
    const py = this.copyIn(y); // y: (m, k)
    const pW = this.copyIn(W); // W: (k, n)
    const pb = this.copyIn(b); // b: (n)
    this.x.denseForward(pv, pout, py, pW, pb, m, k, n, code);
    this.copyOut(v, pv, m * n);
    this.copyOut(out, pout, m * n);
    return true;
  }

  denseBackwardInput(dvBelow: FloatArray, dv: FloatArray, W: FloatArray, vBelow: FloatArray, m: number, n: number, k: number, act: string): boolean {
    const code = fusedCode(act);
    if (code < 0) return false;
    if (!(dvBelow instanceof Float32Array && dv instanceof Float32Array && W instanceof Float32Array && vBelow instanceof Float32Array)) return false;
    this.begin(m * k + dv.length + W.length + vBelow.length + n * k);
    const pdvb = this.reserve(m * k); // dv below: (m, k)
    const pdv = this.copyIn(dv); // dv: (m, n)
    const pW = this.copyIn(W); // W: (k, n)
    const pvb = this.copyIn(vBelow); // v below: (m, k)
    const pWt = this.reserve(n * k); // Wᵀ: (n, k), written by the kernel
    this.x.denseBackwardInput(pdvb, pdv, pW, pvb, m, n, k, code, pWt);
    this.copyOut(dvBelow, pdvb, m * k);
    return true;
  }

  /** Starts a call's scratch at the heap base, growing the memory if `floats` (plus alignment) do not fit. */
  private begin(floats: number): void {
    this.top = this.base;
    const need = this.base + floats * 4 + 8 * ALIGN;
    const memory = this.x.memory;
    if (need > memory.buffer.byteLength) {
      memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
      this.heap = new Float32Array(memory.buffer);
      this.views.clear();
    }
  }

  /** Claims `floats` of scratch; returns its byte offset. */
  private reserve(floats: number): number {
    const p = this.top;
    this.top = align(p + floats * 4);
    return p;
  }

  /** Copies a whole array into scratch (one memcpy); returns its byte offset. */
  private copyIn(a: Float32Array): number {
    const p = this.reserve(a.length);
    this.heap.set(a, p >> 2);
    return p;
  }

  /** Copies `floats` values from scratch at byte offset p into the front of `a`. */
  private copyOut(a: Float32Array, p: number, floats: number): void {
    const key = p * VIEW_KEY + floats; // unique while floats < 2²⁴ and p < 2²⁹: exact in a double
    let view = this.views.get(key);
    if (view === undefined) {
      view = new Float32Array(this.heap.buffer, p, floats);
      if (floats < VIEW_KEY) this.views.set(key, view);
    }
    a.set(view);
  }
}

function align(p: number): number {
  return Math.ceil(p / ALIGN) * ALIGN;
}

export type KernelChoice = 'wasm' | 'reference';

/** The kernels by name: 'wasm' loads the SIMD build for this runtime, 'reference' is the plain loops. */
export async function loadKernels(choice: KernelChoice, options?: WasmLoadOptions): Promise<Kernels> {
  if (choice === 'reference') return referenceKernels;
  if (choice === 'wasm') return loadWasmKernels(options);
  throw errors.badInput('kernels', `unknown kernels "${String(choice)}" (expected wasm or reference)`);
}
