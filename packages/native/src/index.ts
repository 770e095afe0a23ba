/**
 * @shardgrad/native: core's Kernels interface over the N-API addon built from
 * src/shardgrad_native.c at install (scripts/build-addon.mjs). The products work in place on the
 * caller's Float32Arrays — plain or over a SharedArrayBuffer / shared WebAssembly.Memory — with no
 * copies and no allocation per call. Anything the addon does not do (float64 operands, an
 * activation it does not fuse, any Kernels method it does not implement) goes to a fallback
 * Kernels, normally the WebAssembly one, which gives the same bits (docs/kernels.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { errors, type FloatArray, type Kernels } from '@shardgrad/core';

/** The instruction sets the addon has a variant for, fastest first. */
export type NativeIsa = 'avx512' | 'avx2';

/** One variant's entry points (sizes in elements; act 0 = identity, 1 = ReLU). */
interface AddonKernels {
  readonly isa: NativeIsa;
  gemmBias(v: Float32Array, y: Float32Array, W: Float32Array, b: Float32Array, m: number, k: number, n: number): void;
  gemmNT(dy: Float32Array, dv: Float32Array, W: Float32Array, m: number, n: number, k: number): void;
  gemmTNAcc(dW: Float32Array, db: Float32Array, y: Float32Array, dv: Float32Array, m: number, k: number, n: number): void;
  gemmTNTree(dW: Float32Array, db: Float32Array, y: Float32Array, dv: Float32Array, m: number, k: number, n: number, pendW: readonly FloatArray[], pendB: readonly FloatArray[]): void;
  gemmTNLeaves(dW0: Float32Array, db0: Float32Array, slotStride: number, y: Float32Array, dv: Float32Array, k: number, n: number, plan: Int32Array, bytesW: number, bytesB: number): void;
  denseForward(v: Float32Array, out: Float32Array, y: Float32Array, W: Float32Array, b: Float32Array, m: number, k: number, n: number, act: number): void;
  denseBackwardInput(dvBelow: Float32Array, dv: Float32Array, W: Float32Array, vBelow: Float32Array, m: number, n: number, k: number, act: number): void;
  gatherRows(x: Float32Array, t: Float32Array, X: Float32Array, Y: Float32Array, order: Uint32Array, from: number, rows: number, n0: number, nL: number): void;
  noiseHalves?(a: Float32Array, b: Float32Array, rowsA: number, rowsB: number, P: number, b0: number, b1: number, partials: Float64Array): void;
}

interface Addon {
  /** the variants this CPU runs, fastest first */
  readonly isas: readonly NativeIsa[];
  kernels(isa: NativeIsa): AddonKernels;
}

/** Where the addon is: $SHARDGRAD_NATIVE_ADDON, else build/shardgrad-native.node in this package. */
export function nativeAddonPath(): string {
  return process.env.SHARDGRAD_NATIVE_ADDON || fileURLToPath(new URL('../build/shardgrad-native.node', import.meta.url));
}

let cached: { addon: Addon } | { reason: string } | undefined;

/** The addon, loaded once per thread, or why it is not there (the install's one line, from build/status.json). */
export function loadAddon(): { addon: Addon } | { reason: string } {
  if (cached) return cached;
  const file = nativeAddonPath();
  if (!existsSync(file)) {
    let reason = `not built (${file} is missing; run \`pnpm --filter @shardgrad/native build:native\`)`;
    try {
      const status = JSON.parse(readFileSync(file.replace(/[^/\\]*$/, 'status.json'), 'utf8')) as { ok: boolean; reason?: string };
      if (!status.ok && status.reason) reason = status.reason;
    } catch {
      // no status file: the generic reason stands
    }
    return (cached = { reason });
  }
  try {
    const addon = createRequire(import.meta.url)(file) as Addon;
    if (addon.isas.length === 0) return (cached = { reason: 'this CPU has neither AVX-512 nor AVX2 with FMA' });
    return (cached = { addon });
  } catch (e) {
    return (cached = { reason: `${file} does not load (${String((e as Error).message).split('\n')[0]})` });
  }
}

/** Why native kernels cannot be used in this process, or undefined when they can. */
export function nativeUnavailableReason(): string | undefined {
  const r = loadAddon();
  return 'reason' in r ? r.reason : undefined;
}

/** The fused activations, by the code the addon takes; others are declined (-1). */
function fusedCode(act: string): number {
  return act === 'identity' ? 0 : act === 'relu' ? 1 : -1;
}

const F32 = Float32Array;
/** the most pending tree levels the addon finishes in one leaf store (MAX_PENDING in the C source) */
const MAX_PENDING = 32;

function allF32(xs: readonly FloatArray[]): boolean {
  for (let i = 0; i < xs.length; i++) if (!(xs[i] instanceof F32)) return false;
  return true;
}

/**
 * The Kernels interface over one variant of the addon. Float64 operands go to `fallback`, and so
 * does every method of `fallback` this class does not define (copied onto the instance at
 * construction, so later optional Kernels methods work unchanged until native versions exist).
 */
export class NativeKernels implements Kernels {
  readonly name: string;

  constructor(
    private readonly x: AddonKernels,
    readonly fallback: Kernels,
  ) {
    this.name = `native-${x.isa}`;
    delegateMissing(this, fallback);
  }

  get isa(): NativeIsa {
    return this.x.isa;
  }

  gemmBias(v: FloatArray, y: FloatArray, W: FloatArray, b: FloatArray, m: number, k: number, n: number): void {
    if (v instanceof F32 && y instanceof F32 && W instanceof F32 && b instanceof F32) this.x.gemmBias(v, y, W, b, m, k, n);
    else this.fallback.gemmBias(v, y, W, b, m, k, n);
  }

  gemmNT(dy: FloatArray, dv: FloatArray, W: FloatArray, m: number, n: number, k: number): void {
    if (dy instanceof F32 && dv instanceof F32 && W instanceof F32) this.x.gemmNT(dy, dv, W, m, n, k);
    else this.fallback.gemmNT(dy, dv, W, m, n, k);
  }

  gemmTNAcc(dW: FloatArray, db: FloatArray, y: FloatArray, dv: FloatArray, m: number, k: number, n: number): void {
    if (dW instanceof F32 && db instanceof F32 && y instanceof F32 && dv instanceof F32) this.x.gemmTNAcc(dW, db, y, dv, m, k, n);
    else this.fallback.gemmTNAcc(dW, db, y, dv, m, k, n);
  }

  /** One leaf of the reduction tree, its pending levels finished in the same store (Kernels.gemmTNTree). */
  gemmTNTree(dW: FloatArray, db: FloatArray, y: FloatArray, dv: FloatArray, m: number, k: number, n: number, pendW: readonly FloatArray[], pendB: readonly FloatArray[]): boolean {
    if (pendW.length !== pendB.length || pendW.length > MAX_PENDING) return false;
    if (!(dW instanceof F32 && db instanceof F32 && y instanceof F32 && dv instanceof F32 && allF32(pendW) && allF32(pendB))) return false;
    this.x.gemmTNTree(dW, db, y, dv, m, k, n, pendW, pendB);
    return true;
  }

  /** Every leaf of a worker's subtree for one layer, the pending levels in L1 (Kernels.gemmTNLeaves). */
  gemmTNLeaves(dW0: FloatArray, db0: FloatArray, slotStride: number, y: FloatArray, dv: FloatArray, k: number, n: number, plan: Int32Array): boolean {
    if (!(dW0 instanceof F32 && db0 instanceof F32 && y instanceof F32 && dv instanceof F32)) return false;
    this.x.gemmTNLeaves(dW0, db0, slotStride, y, dv, k, n, plan, dW0.buffer.byteLength - dW0.byteOffset, db0.buffer.byteLength - db0.byteOffset);
    return true;
  }

  denseForward(v: FloatArray, out: FloatArray, y: FloatArray, W: FloatArray, b: FloatArray, m: number, k: number, n: number, act: string): boolean {
    const code = fusedCode(act);
    if (code < 0 || !(v instanceof F32 && out instanceof F32 && y instanceof F32 && W instanceof F32 && b instanceof F32)) return false;
    this.x.denseForward(v, out, y, W, b, m, k, n, code);
    return true;
  }

  denseBackwardInput(dvBelow: FloatArray, dv: FloatArray, W: FloatArray, vBelow: FloatArray, m: number, n: number, k: number, act: string): boolean {
    const code = fusedCode(act);
    if (code < 0 || !(dvBelow instanceof F32 && dv instanceof F32 && W instanceof F32 && vBelow instanceof F32)) return false;
    this.x.denseBackwardInput(dvBelow, dv, W, vBelow, m, n, k, code);
    return true;
  }

  /** A batch's rows copied in, one memcpy a row (Kernels.gatherRows). */
  gatherRows(x: FloatArray, t: FloatArray, X: FloatArray, Y: FloatArray, order: ArrayLike<number>, from: number, rows: number, n0: number, nL: number): boolean {
    if (!(x instanceof F32 && t instanceof F32 && X instanceof F32 && Y instanceof F32 && order instanceof Uint32Array)) return false;
    // (an addon built before gatherRows existed has none: the plain copy then)
    if (!this.x.gatherRows) return false;
    this.x.gatherRows(x, t, X, Y, order, from, rows, n0, nL);
    return true;
  }

  /** The live noise estimate's partials in SIMD registers, the bits of core's noiseHalvesPartials (Kernels.noiseHalves). */
  noiseHalves(a: FloatArray, b: FloatArray, rowsA: number, rowsB: number, P: number, b0: number, b1: number, partials: Float64Array): boolean {
    if (!(a instanceof F32 && b instanceof F32) || !this.x.noiseHalves) return false;
    this.x.noiseHalves(a, b, rowsA, rowsB, P, b0, b1, partials);
    return true;
  }
}

/** Gives `target` every method of `source` (own or inherited) that `target` lacks, bound to `source`. */
function delegateMissing(target: object, source: object): void {
  for (let o: object | null = source; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key === 'constructor' || key in target) continue;
      const value = (source as Record<string, unknown>)[key];
      if (typeof value === 'function') Object.defineProperty(target, key, { value: value.bind(source), enumerable: false });
    }
  }
}

export interface NativeLoadOptions {
  /** which variant; default $SHARDGRAD_NATIVE_ISA, else the fastest this CPU runs */
  readonly isa?: NativeIsa;
}

/**
 * The native kernels for this thread, delegating to `fallback` where they do not apply. Throws a
 * ShardgradError naming the field `kernel` (the CLI prints `--kernel`) and the reason when the
 * addon is unavailable or the CPU lacks the requested variant.
 */
export function loadNativeKernels(fallback: Kernels, options: NativeLoadOptions = {}): NativeKernels {
  const r = loadAddon();
  if ('reason' in r) throw errors.badSetting('kernel', `native kernels unavailable: ${r.reason}`);
  const wanted = options.isa ?? (process.env.SHARDGRAD_NATIVE_ISA as NativeIsa | undefined) ?? r.addon.isas[0];
  if (!r.addon.isas.includes(wanted))
    throw errors.badSetting('kernel', `native kernels unavailable: this CPU runs ${r.addon.isas.join(', ')}, not ${String(wanted)}`);
  return new NativeKernels(r.addon.kernels(wanted), fallback);
}

/** The variants the addon offers on this CPU (empty where it is unavailable). */
export function nativeIsas(): readonly NativeIsa[] {
  const r = loadAddon();
  return 'addon' in r ? r.addon.isas : [];
}
