import { errors } from '../errors.js';
import { biasCorrection, OPTIMIZERS, type OptimizerKind } from '../optim/optimizers.js';
import type { FloatArray, Kernels, SliceUpdate } from './kernels.js';
import { referenceKernels } from './reference.js';

/**
 * The WebAssembly SIMD kernels (source: packages/core/assembly/, compiled by `build:wasm` into
 * dist/kernels/). Two builds of the same source: `relaxed` multiplies-and-adds with the fused
 * f32x4.relaxed_madd, `simd` with f32x4.mul + f32x4.add where a runtime lacks relaxed SIMD.
 *
 * Memory: every build imports its linear memory. By default an instance gets a private, growable
 * memory used as scratch: each call copies the operands it reads into it and its outputs back.
 * Given a memory (`WasmLoadOptions.memory`, shared between threads or not), operands that already
 * live in it are used in place — the engine keeps θ, the gradients and every workspace there, so a
 * training step copies nothing. Float64 operands (gradient checks) go to the reference kernels.
 */
export type WasmFlavor = 'relaxed' | 'simd';

/** The few WebAssembly APIs used here (core compiles against ES2022 + Node types, without the DOM lib). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  instantiate(bytes: ArrayBuffer | ArrayBufferView, imports: object): Promise<{ instance: { exports: unknown } }>;
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
};

/** A WebAssembly.Memory of at least `bytes` bytes, shared between threads or private; it never needs to grow. */
export function createWasmMemory(bytes: number, shared: boolean): WasmMemory {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  return shared ? new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }) : new WebAssembly.Memory({ initial: pages });
}

/** Whether a memory is shared (its buffer a SharedArrayBuffer; false where the page has none). */
export function isSharedMemory(memory: WasmMemory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}
type WasmBytes = ArrayBuffer | ArrayBufferView;

/** The exports of the compiled module (pointers and strides in bytes, sizes in elements). */
interface KernelExports {
  heapBase(): number;
  setPackBuffer(p: number): void;
  packBytes(): number;
  gemmBias(v: number, y: number, W: number, b: number, m: number, k: number, n: number): void;
  gemmNT(dy: number, dv: number, W: number, m: number, n: number, k: number, scratch: number): void;
  gemmTNAcc(dW: number, db: number, y: number, dv: number, m: number, k: number, n: number): void;
  denseForward(v: number, out: number, y: number, W: number, b: number, m: number, k: number, n: number, act: number): void;
  denseBackwardInput(dvBelow: number, dv: number, W: number, vBelow: number, m: number, n: number, k: number, act: number, scratch: number): void;
  gemmTNTree(dW: number, db: number, y: number, dv: number, m: number, k: number, n: number, deltas: number, count: number): void;
  addInto(a: number, b: number, len: number): void;
  noiseHalves(a: number, b: number, rowsA: number, rowsB: number, P: number, b0: number, b1: number, partials: number): void;
  gemmTNLeaves(dW0: number, db0: number, slotStride: number, y: number, dv: number, k: number, n: number, plan: number, pack: number, buf: number, slots: number): void;
}

/**
 * One optimizer's slice pass (assembly/optimizers.ts), exported as `finish_<name>` for each registered
 * optimizer it implements; pointers and the state stride in bytes.
 */
type FinishPass = (
  root: number, other: number, avg: number, theta: number, state: number, thetaOut: number, stateOut: number, stride: number, len: number,
  inv: number, lr: number, wd: number, mu: number, b1: number, b2: number, eps: number, c1: number, c2: number,
) => number;

/** The module's optimizer passes by registered name; a name without one is absent (the plain form runs). */
function finishPasses(exports: KernelExports): Partial<Record<OptimizerKind, FinishPass>> {
  const passes: Partial<Record<OptimizerKind, FinishPass>> = {};
  for (const kind of OPTIMIZERS) {
    const pass = (exports as unknown as Record<string, unknown>)[`finish_${kind}`];
    if (typeof pass === 'function') passes[kind] = pass as FinishPass;
  }
  return passes;
}

/** The activations the module fuses, by the code it takes (assembly/products.ts); others return -1. */
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

/** The file name of a build: flavor, and whether it imports a shared memory. */
export function wasmFileName(flavor: WasmFlavor, shared = false): string {
  return `shardgrad-kernels-${flavor}${shared ? '-shared' : ''}.wasm`;
}

/**
 * Where a build lies next to this module. Written as literal `new URL('./…', import.meta.url)`
 * so that bundlers (Vite) see the files and ship them with the app.
 */
function defaultUrl(flavor: WasmFlavor, shared: boolean): URL {
  if (shared)
    return flavor === 'relaxed'
      ? new URL('./shardgrad-kernels-relaxed-shared.wasm', import.meta.url)
      : new URL('./shardgrad-kernels-simd-shared.wasm', import.meta.url);
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

/** Bytes a wasm instance keeps of a given scratch region for itself (its B-strip packing buffer), besides what calls need. */
export const WASM_SCRATCH_RESERVED = 16384;

/** A region of a memory, in bytes. */
export interface MemoryRegion {
  readonly byteOffset: number;
  readonly bytes: number;
}

export interface WasmLoadOptions {
  /** the .wasm bytes, or where to get them; default: the build next to this module (import.meta.url) matching flavor and memory */
  readonly source?: WasmBytes | URL | string;
  /** which build; default 'auto': relaxed where the runtime validates it, else simd */
  readonly flavor?: WasmFlavor | 'auto';
  /**
   * Run over this memory (shared between threads, or private) instead of a fresh private one:
   * operands that live in it are used in place. Then `scratch` must say which region of it this
   * instance may use for Wᵀ and for copies of operands that live elsewhere; it never grows.
   */
  readonly memory?: WasmMemory;
  readonly scratch?: MemoryRegion;
}

/**
 * Loads and instantiates the WebAssembly kernels, in Node or a browser. With no source, the build
 * matching the runtime (and the memory: shared or not) is read from next to this module
 * (dist/kernels/shardgrad-kernels-*.wasm). A given source must be the build of the chosen flavor.
 */
export async function loadWasmKernels(options: WasmLoadOptions = {}): Promise<WasmKernels> {
  if (!simdSupported()) throw errors.badInput('kernels', 'this runtime has no WebAssembly SIMD; use the reference kernels');
  const wanted = options.flavor ?? 'auto';
  const flavor: WasmFlavor = wanted === 'auto' ? (relaxedSimdSupported() ? 'relaxed' : 'simd') : wanted;
  if (flavor === 'relaxed' && !relaxedSimdSupported())
    throw errors.badInput('kernels', 'relaxed SIMD is not enabled in this runtime (Node 20: call enableRelaxedSimd() or pass --experimental-wasm-relaxed-simd)');
  if (options.memory && !options.scratch) throw new Error('loadWasmKernels: a given memory needs a scratch region');
  const memory = options.memory ?? createWasmMemory(65536, false);
  const shared = isSharedMemory(memory);
  const src = options.source ?? defaultUrl(flavor, shared);
  const bytes = typeof src === 'string' || src instanceof URL ? await readBytes(new URL(src, import.meta.url)) : src;
  const { instance } = await WebAssembly.instantiate(bytes, { env: { memory, abort: () => {} } });
  return new WasmKernels(instance.exports as unknown as KernelExports, memory, flavor, options.memory ? options.scratch : undefined);
}

/** output views are cached under p·2²⁴ + length */
const VIEW_KEY = 2 ** 24;
/** 16-byte alignment for operands placed in wasm memory (aligned f32x4 loads) */
const ALIGN = 16;
/** floats of one group's block in gemmTNLeaves (BLOCK rows × 8 columns, assembly/leaves.ts) */
export const LEAF_BLOCK_FLOATS = 24 * 8;
/** pending levels a tree store can carry (a tree over 2³⁰ shards) */
const MAX_CHAIN = 30;

/** The Kernels interface over one instance of the wasm module; one per thread. */
export class WasmKernels implements Kernels {
  readonly name: string;
  private readonly x: KernelExports;
  /** the memory's buffer object in this thread: an operand whose .buffer is it is resident */
  private readonly buf: ArrayBuffer | SharedArrayBuffer;
  /** scratch region [base, end); `end` undefined: a private memory that grows as needed */
  private readonly base: number;
  private readonly end: number | undefined;
  /** float view of the whole memory, remade only when a private memory grows */
  private heap: Float32Array;
  private ints: Int32Array;
  /** next free byte of the scratch during one call */
  private top = 0;
  /** output views of the heap by (byte offset, length): made once per shape, so steady calls allocate nothing */
  private readonly views = new Map<number, Float32Array>();
  /** the optimizer passes the module has, by name */
  private readonly passes: Partial<Record<OptimizerKind, FinishPass>>;

  constructor(
    exports: KernelExports,
    private readonly memory: WasmMemory,
    readonly flavor: WasmFlavor,
    scratch?: MemoryRegion,
  ) {
    this.x = exports;
    this.passes = finishPasses(exports);
    this.name = `wasm-${flavor}`;
    this.buf = memory.buffer;
    // the first bytes of the scratch: this instance's buffer for packing strips of B (see panel in assembly/products.ts)
    const pack = align(scratch ? scratch.byteOffset : exports.heapBase());
    this.base = align(pack + exports.packBytes());
    this.end = scratch ? scratch.byteOffset + scratch.bytes : undefined;
    if (this.end !== undefined && this.base > this.end) throw new Error('wasm kernels: the scratch region is smaller than the packing buffer');
    if (this.base > memory.buffer.byteLength) memory.grow(Math.ceil((this.base - memory.buffer.byteLength) / 65536));
    exports.setPackBuffer(pack);
    this.heap = new Float32Array(memory.buffer);
    this.ints = new Int32Array(memory.buffer);
  }

  /** Whether `a` lives in this instance's memory (then it is used in place). */
  isResident(a: FloatArray): boolean {
    return a.buffer === this.buf;
  }

  gemmBias(v: FloatArray, y: FloatArray, W: FloatArray, b: FloatArray, m: number, k: number, n: number): void {
    if (!(v instanceof Float32Array && y instanceof Float32Array && W instanceof Float32Array && b instanceof Float32Array))
      return referenceKernels.gemmBias(v, y, W, b, m, k, n);
    this.begin();
    const pv = this.output(v, m * n); // v: (m, n)
    const py = this.input(y); // y: (m, k)
    const pW = this.input(W); // W: (k, n)
    const pb = this.input(b); // b: (n)
    this.x.gemmBias(pv, py, pW, pb, m, k, n);
    this.copyOut(v, pv, m * n);
  }

  gemmNT(dy: FloatArray, dv: FloatArray, W: FloatArray, m: number, n: number, k: number): void {
    if (!(dy instanceof Float32Array && dv instanceof Float32Array && W instanceof Float32Array))
      return referenceKernels.gemmNT(dy, dv, W, m, n, k);
    this.begin();
    const pdy = this.output(dy, m * k); // dy: (m, k)
    const pdv = this.input(dv); // dv: (m, n)
    const pW = this.input(W); // W: (k, n)
    const pWt = this.reserve(n * k); // Wᵀ: (n, k), written by the kernel
    this.x.gemmNT(pdy, pdv, pW, m, n, k, pWt);
    this.copyOut(dy, pdy, m * k);
  }

  gemmTNAcc(dW: FloatArray, db: FloatArray, y: FloatArray, dv: FloatArray, m: number, k: number, n: number): void {
    if (!(dW instanceof Float32Array && db instanceof Float32Array && y instanceof Float32Array && dv instanceof Float32Array))
      return referenceKernels.gemmTNAcc(dW, db, y, dv, m, k, n);
    this.begin();
    const pdW = this.input(dW); // dW: (k, n), accumulated into
    const pdb = this.input(db); // db: (n)
    const py = this.input(y); // y: (m, k)
    const pdv = this.input(dv); // dv: (m, n)
    this.x.gemmTNAcc(pdW, pdb, py, pdv, m, k, n);
    this.copyOut(dW, pdW, k * n);
    this.copyOut(db, pdb, n);
  }

  denseForward(v: FloatArray, out: FloatArray, y: FloatArray, W: FloatArray, b: FloatArray, m: number, k: number, n: number, act: string): boolean {
    const code = fusedCode(act);
    if (code < 0) return false;
    if (!(v instanceof Float32Array && out instanceof Float32Array && y instanceof Float32Array && W instanceof Float32Array && b instanceof Float32Array))
      return false;
    this.begin();
    const pv = this.output(v, m * n); // v: (m, n)
    const pout = this.output(out, m * n); // g(v): (m, n)
    const py = this.input(y); // y: (m, k)
    const pW = this.input(W); // W: (k, n)
    const pb = this.input(b); // b: (n)
    this.x.denseForward(pv, pout, py, pW, pb, m, k, n, code);
    this.copyOut(v, pv, m * n);
    this.copyOut(out, pout, m * n);
    return true;
  }

  denseBackwardInput(dvBelow: FloatArray, dv: FloatArray, W: FloatArray, vBelow: FloatArray, m: number, n: number, k: number, act: string): boolean {
    const code = fusedCode(act);
    if (code < 0) return false;
    if (!(dvBelow instanceof Float32Array && dv instanceof Float32Array && W instanceof Float32Array && vBelow instanceof Float32Array)) return false;
    this.begin();
    const pdvb = this.output(dvBelow, m * k); // dv below: (m, k)
    const pdv = this.input(dv); // dv: (m, n)
    const pW = this.input(W); // W: (k, n)
    const pvb = this.input(vBelow); // v below: (m, k)
    const pWt = this.reserve(n * k); // Wᵀ: (n, k), written by the kernel
    this.x.denseBackwardInput(pdvb, pdv, pW, pvb, m, n, k, code, pWt);
    this.copyOut(dvBelow, pdvb, m * k);
    return true;
  }

  /** Resident operands only (the engine's): the pending buffers are passed as byte offsets from dW. */
  gemmTNTree(dW: FloatArray, db: FloatArray, y: FloatArray, dv: FloatArray, m: number, k: number, n: number, pendW: readonly FloatArray[], pendB: readonly FloatArray[]): boolean {
    const count = pendW.length;
    if (count > MAX_CHAIN || pendB.length !== count) return false;
    if (!(this.isResident(dW) && this.isResident(db) && this.isResident(y) && this.isResident(dv))) return false;
    this.begin();
    const pd = this.reserve(MAX_CHAIN);
    for (let c = 0; c < count; c++) {
      const w = pendW[c];
      const b = pendB[c];
      const delta = w.byteOffset - dW.byteOffset;
      // one delta serves both blocks: the pending buffers must lie at the same distance from dW and db
      if (!this.isResident(w) || !this.isResident(b) || b.byteOffset - db.byteOffset !== delta) return false;
      this.ints[(pd >> 2) + c] = delta;
    }
    this.x.gemmTNTree(dW.byteOffset, db.byteOffset, y.byteOffset, dv.byteOffset, m, k, n, pd, count);
    return true;
  }

  /** Resident operands only (the engine's): see Kernels.gemmTNLeaves. */
  gemmTNLeaves(dW0: FloatArray, db0: FloatArray, slotStride: number, y: FloatArray, dv: FloatArray, k: number, n: number, plan: Int32Array): boolean {
    if (!(this.isResident(dW0) && this.isResident(db0) && this.isResident(y) && this.isResident(dv) && plan.buffer === this.buf)) return false;
    const nGroups = plan[0];
    let rows = 0;
    for (let g = 0; g < nGroups; g++) rows += plan[2 + 2 * g] + Math.max(0, plan[3 + 2 * g]);
    this.begin();
    const pack = this.reserve(rows * 8); // a strip of dv: (rows, 8)
    const buf = this.reserve(nGroups * LEAF_BLOCK_FLOATS); // each group's block of tiles
    const slots = this.reserve(plan[1] * LEAF_BLOCK_FLOATS); // each slot's block
    this.x.gemmTNLeaves(dW0.byteOffset, db0.byteOffset, slotStride, y.byteOffset, dv.byteOffset, k, n, plan.byteOffset, pack, buf, slots);
    return true;
  }

  addInto(a: FloatArray, b: FloatArray, p0: number, p1: number): boolean {
    if (!(this.isResident(a) && this.isResident(b))) return false;
    this.x.addInto(a.byteOffset + p0 * 4, b.byteOffset + p0 * 4, p1 - p0);
    return true;
  }

  /** Resident operands only (the engine's): the noise partials in f64x2 vectors, the bits of noiseHalvesPartials (Kernels.noiseHalves). */
  noiseHalves(a: FloatArray, b: FloatArray, rowsA: number, rowsB: number, P: number, b0: number, b1: number, partials: Float64Array): boolean {
    if (!(a instanceof Float32Array && b instanceof Float32Array && this.isResident(a) && this.isResident(b)) || partials.buffer !== this.buf) return false;
    this.x.noiseHalves(a.byteOffset, b.byteOffset, rowsA, rowsB, P, b0, b1, partials.byteOffset);
    return true;
  }

  /** Resident operands only (the engine's), and only an optimizer the module has a pass for: see Kernels.finishUpdate. */
  finishUpdate(u: SliceUpdate): number {
    const cfg = u.optimizer;
    const pass = this.passes[cfg.kind];
    if (pass === undefined) return -1;
    const { root, other, avg, theta, state, thetaOut, stateOut, p0 } = u;
    if (!(this.isResident(root) && this.isResident(avg) && this.isResident(theta) && this.isResident(thetaOut) && (other === undefined || this.isResident(other))))
      return -1;
    const stateful = state.length > 0;
    if (stateful && !(this.isResident(state) && this.isResident(stateOut))) return -1;
    const off = p0 * 4;
    return pass(
      root.byteOffset + off,
      other === undefined ? 0 : other.byteOffset + off,
      avg.byteOffset + off,
      theta.byteOffset + off,
      stateful ? state.byteOffset + off : 0,
      thetaOut.byteOffset + off,
      stateful ? stateOut.byteOffset + off : 0,
      u.P * 4,
      u.p1 - p0,
      u.inv,
      u.lr,
      cfg.weightDecay,
      cfg.momentum,
      cfg.beta1,
      cfg.beta2,
      cfg.eps,
      biasCorrection(cfg.beta1, u.t),
      biasCorrection(cfg.beta2, u.t),
    );
  }

  /** Starts a call's scratch at its base. */
  private begin(): void {
    this.top = this.base;
  }

  /** Claims `floats` of scratch (growing a private memory, or failing past a given region); returns its byte offset. */
  private reserve(floats: number): number {
    const p = this.top;
    this.top = align(p + floats * 4);
    if (this.end !== undefined) {
      if (this.top > this.end) throw new Error(`wasm kernels: scratch region of ${this.end - this.base} bytes is too small (${this.top - this.base} needed)`);
    } else if (this.top > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((this.top - this.memory.buffer.byteLength) / 65536));
      this.heap = new Float32Array(this.memory.buffer);
      this.ints = new Int32Array(this.memory.buffer);
      this.views.clear();
    }
    return p;
  }

  /** An operand read by the kernel: its own offset when resident, else a copy in scratch. */
  private input(a: Float32Array): number {
    if (this.isResident(a)) return a.byteOffset;
    const p = this.reserve(a.length);
    this.heap.set(a, p >> 2);
    return p;
  }

  /** An operand the kernel writes `floats` of: its own offset when resident, else scratch (copied back by copyOut). */
  private output(a: Float32Array, floats: number): number {
    return this.isResident(a) ? a.byteOffset : this.reserve(floats);
  }

  /** Copies `floats` values from scratch at byte offset p into the front of `a` (nothing when `a` is resident). */
  private copyOut(a: Float32Array, p: number, floats: number): void {
    if (this.isResident(a)) return;
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
