import {
  alignUp,
  Arena,
  backward,
  createWorkspace,
  finishSlice,
  forward,
  sliceUpdate,
  gatherRows,
  layerViews,
  mse_sum,
  noiseBlockCount,
  noiseBlocksOf,
  noiseFromPartialsInto,
  noiseHalvesPartials,
  softmax_cross_entropy_sum,
  treeAdd,
  treeLeaf,
  treeLeafWeights,
  type GradientSink,
  type Kernels,
  type LayerViews,
  type SliceUpdate,
  type WasmMemory,
  type Workspace,
} from '@shardgrad/core';
import { floatsOf, partialView, updateSlice, type RunLayout } from './layout.js';
import { paramSlice, shardBound } from './shards.js';
import { planTree, rankShards, splitPoint, type BufferRef, type TreePlan, type WorkerTreePlan } from './tree.js';

/**
 * The data of a run, outside the run's memory: the data set and the epoch order (SharedArrayBuffers
 * in Node and in an isolated page), and each virtual shard's summed loss. Shape letters: N rows,
 * D inputs, C outputs, T training rows, V virtual shards.
 */
export interface RunData {
  /** X: (N, D) inputs of the whole data set */
  readonly X: Float32Array;
  /** Y: (N, C) targets */
  readonly Y: Float32Array;
  /** (T) the epoch's sample order; a batch is a contiguous range of it */
  readonly order: Uint32Array;
  /** (V) summed loss of each virtual shard of the last step */
  readonly shardLoss: Float64Array;
}

/** 0 = updated, 1 = the loss was not finite (nothing updated), 2 = ḡ or θ became non-finite. */
export const StepStatus = { ok: 0, lossNotFinite: 1, notFinite: 2 } as const;
export type StepStatusValue = (typeof StepStatus)[keyof typeof StepStatus];

/** The views of one batch size's shards inside the worker's rows, made once per distinct batch size. */
interface ShardViews {
  /** rows of each of the worker's shards, and their first row inside the worker's block */
  readonly rows: Int32Array;
  /** per shard, per layer: the layer's input rows and ∂L/∂v rows of that shard */
  readonly below: Float32Array[][];
  readonly dv: Float32Array[][];
  /** per shard: the output layer's v and y rows, and the targets (for the shard's loss) */
  readonly outV: Float32Array[];
  readonly outY: Float32Array[];
  readonly target: Float32Array[];
}

/**
 * What one worker does in a step, in Node (piscina) and the browser (comlink) alike, over the run's
 * memory: `gradients` computes its virtual shards — forward and ∂L/∂v below over all its rows at
 * once (each row's result does not depend on which rows share the call), the weight gradient per
 * shard as a leaf of the reduction tree — and publishes its subtree sums; after a barrier,
 * `update` finishes the tree over its parameter slice, scales, applies the optimizer and checks
 * finiteness in one pass. Everything is allocated here, once.
 */
export class WorkerStep {
  readonly P: number;
  readonly ws: Workspace<Float32Array>;
  readonly plan: TreePlan;
  readonly mine: WorkerTreePlan;
  /** θ, ḡ, optimizer state and their second buffers, in this thread */
  readonly run: RunViews;
  /** every worker's partial slots (the top of the tree reads the others') */
  private readonly partials: Float32Array[][];
  /** this worker's slots by layer */
  private readonly slotLayers: LayerViews<Float32Array>[];
  /** per leaf op, per layer: the pending buffers to add, W and b blocks */
  private readonly pendW: Float32Array[][][];
  private readonly pendB: Float32Array[][][];
  /** per leaf op, per skip block: the pending buffers to add */
  private readonly pendS: Float32Array[][][];
  private readonly leafW: Float32Array;
  private readonly leafB: Float32Array;
  private readonly p0: number;
  private readonly p1: number;
  /** this worker's slice of θ and of each state slot in the second buffers, and in the first (views made once) */
  private readonly sliceViews: { from: Float32Array; to: Float32Array }[];
  /** θ's layer views in each buffer (0: params, 1: paramsB): the buffer a step reads is swapped in */
  private readonly thetaViews: LayerViews<Float32Array>[];
  private readonly byBatch = new Map<number, ShardViews>();
  private readonly sink: GradientSink<Float32Array>;
  private views: ShardViews | undefined;
  /** the leaves' plan for Kernels.gemmTNLeaves (rows rewritten when the batch size changes) */
  private readonly leafPlan: Int32Array;
  private planBatch = -1;
  /** the plan's groups: leaf indices (left, right or −1) */
  private readonly groups: readonly (readonly [number, number])[];
  private readonly slotStride: number;
  /** the slice pass's record (finishSlice), its per-step fields set by update */
  private readonly slice: SliceUpdate;
  /** the live noise estimate's partials (layout.noise) and this worker's blocks of them [b0, b1) */
  private readonly noisePartials: Float64Array;
  private readonly noiseBlocks: readonly [number, number];

  constructor(
    readonly layout: RunLayout,
    readonly memory: WasmMemory,
    readonly w: number,
    readonly kernels: Kernels,
    readonly data: RunData,
  ) {
    const { spec, V, W, P } = layout;
    this.P = P;
    this.plan = planTree(V, W, layout.ranks);
    this.mine = this.plan.workers[w];
    const regions = layout.workers[w];
    const wsArena = new Arena(memory, regions.workspace.byteOffset, regions.workspace.byteOffset + regions.workspace.bytes);
    this.ws = createWorkspace(spec, regions.capacity, (n) => wsArena.floats(n));
    const run = (this.run = runViews(memory, layout));
    this.thetaViews = [layerViews(run.params, this.ws.layout), layerViews(run.paramsB, this.ws.layout)];
    this.readFrom(0);
    this.partials = layout.workers.map((r, ww) => Array.from({ length: r.slots }, (_, s) => partialView(memory, layout, ww, s)));
    // across ranks, "worker W" is the exchange buffer: slot i = node i of every rank's published nodes
    if (layout.exchange) {
      this.partials.push(layout.exchange.nodes.map((at) => new Float32Array(memory.buffer, at, P)));
      this.sendViews = layout.exchange.sendNodes.map((per) => per.map((at) => new Float32Array(memory.buffer, at, P)));
    }
    this.slotLayers = this.partials[w].map((g) => layerViews(g, this.ws.layout));
    const L = this.ws.layout.layers.length;
    this.pendW = this.mine.leaves.map((op) => Array.from({ length: L }, (_, l) => op.adds.map((s) => this.slotLayers[s].W[l])));
    this.pendB = this.mine.leaves.map((op) => Array.from({ length: L }, (_, l) => op.adds.map((s) => this.slotLayers[s].b[l])));
    const leaf = floatsOf(memory, regions.leafScratch);
    const nSkips = this.ws.layout.skips.length;
    this.pendS = this.mine.leaves.map((op) => Array.from({ length: nSkips }, (_, s) => op.adds.map((a) => this.slotLayers[a].S[s])));
    const maxKN = Math.max(...[...this.ws.layout.layers, ...this.ws.layout.skips].map((s) => s.nIn * s.nOut));
    this.leafW = leaf.subarray(0, maxKN);
    this.leafB = leaf.subarray(maxKN);
    [this.p0, this.p1] = updateSlice(layout, w);
    const cut = (a: Float32Array, off: number) => a.subarray(off + this.p0, off + this.p1);
    this.sliceViews = [{ from: cut(run.paramsB, 0), to: cut(run.params, 0) }];
    for (let off = 0; off < run.optState.length; off += P) this.sliceViews.push({ from: cut(run.optStateB, off), to: cut(run.optState, off) });
    this.sink = { layer: (l, below, dv) => this.leavesOfLayer(l, below, dv), skip: (s) => this.leavesOfSkip(s) };
    this.slotStride = alignUp(P * 4);
    const pr = regions.leafPlan;
    this.leafPlan = new Int32Array(memory.buffer, pr.byteOffset, pr.bytes / 4);
    this.groups = writeLeafPlan(this.leafPlan, this.mine);
    this.slice = sliceUpdate(layout.optimizer, { root: run.avgGrad, avg: run.avgGrad, theta: run.params, state: run.optState }, P);
    this.noisePartials = noisePartialsView(memory, layout);
    // the slices are cut at block boundaries when the estimate is on: this worker's blocks are whole
    this.noiseBlocks = noiseBlocksOf(this.p0, this.p1);
  }


  /**
   * Phase 1 for the batch order[start..end): every shard's loss into data.shardLoss, and this
   * worker's published subtree sums of the gradient (sums over rows, not means), with θ read from
   * buffer `from` (0: params, 1: paramsB).
   */
  gradients(start: number, end: number, from: 0 | 1 = 0): void {
    this.readFrom(from);
    const { layout, ws, kernels, data } = this;
    const { spec, V } = layout;
    const { s0, s1 } = this.mine;
    const lo = shardBound(start, end, V, s0);
    const rows = shardBound(start, end, V, s1) - lo;
    const views = (this.views = this.shardViews(end - start));
    if (this.planBatch !== end - start) {
      // leaf j is shard s0 + j; a group's rows are its leaves' rows
      this.groups.forEach(([left, right], g) => {
        this.leafPlan[2 + 2 * g] = views.rows[left];
        this.leafPlan[3 + 2 * g] = right < 0 ? -1 : views.rows[right];
      });
      this.planBatch = end - start;
    }
    const L = ws.layout.layers.length;
    const nL = ws.layout.layers[L - 1].nOut;
    gatherRows(ws, data.X, data.Y, data.order, lo, rows, spec.sizes[0], nL, kernels);
    forward(spec, ws, rows, kernels);
    for (let s = s0; s < s1; s++) {
      const i = s - s0;
      const m = views.rows[i];
      data.shardLoss[s] = m === 0 ? 0 : spec.loss === 'ce' ? softmax_cross_entropy_sum(views.outV[i], views.target[i], m, nL) : mse_sum(views.outY[i], views.target[i], m, nL);
    }
    backward(spec, ws, rows, kernels, this.sink);
  }

  /** Layer l's leaves, in the plan's order: each shard's yᵀ·dv stored through its pending levels. */
  private leavesOfLayer(l: number, below: Float32Array, dv: Float32Array): void {
    const views = this.views!;
    const { nIn, nOut } = this.ws.layout.layers[l];
    const leaves = this.mine.leaves;
    // all of them in one call where the kernels can (same bits)
    const slot0 = this.slotLayers[0];
    if (this.kernels.gemmTNLeaves?.(slot0.W[l], slot0.b[l], this.slotStride, below, dv, nIn, nOut, this.leafPlan)) return;
    for (let j = 0; j < leaves.length; j++) {
      const op = leaves[j];
      const i = op.shard - this.mine.s0;
      const dst = this.slotLayers[op.dst];
      treeLeaf(this.kernels, dst.W[l], dst.b[l], views.below[i][l], views.dv[i][l], views.rows[i], nIn, nOut, this.pendW[j][l], this.pendB[j][l], this.leafW, this.leafB);
    }
  }

  /**
   * Skip block s's leaves (W^{k→l}, no bias), in the plan's order, one per shard through its pending
   * levels; the per-leaf path (gemmTNLeaves stores a bias block with every weight block).
   */
  private leavesOfSkip(s: number): void {
    const views = this.views!;
    const { from, to, nIn, nOut } = this.ws.layout.skips[s];
    const leaves = this.mine.leaves;
    for (let j = 0; j < leaves.length; j++) {
      const op = leaves[j];
      const i = op.shard - this.mine.s0;
      treeLeafWeights(this.slotLayers[op.dst].S[s], views.below[i][from], views.dv[i][to - 1], views.rows[i], nIn, nOut, this.pendS[j][s], this.leafW);
    }
  }

  /**
   * Across ranks, after every worker of this rank published (a barrier): over this worker's
   * parameter slice, the adds that form this rank's tree nodes, copied into its exchange block.
   */
  localTop(): void {
    const x = this.plan.exchange;
    const xl = this.layout.exchange;
    if (!x || !xl) return;
    // over this worker's share of all P parameters: a rank's nodes are sent whole (cut by destination with slices)
    const [p0, p1] = paramSlice(this.P, this.layout.W, this.w);
    for (const op of x.localTop) treeAdd(this.kernels, this.buffer(op.a), this.buffer(op.b), p0, p1);
    x.copies.forEach((c, j) => {
      const from = this.buffer(c.from);
      this.sendViews[j].forEach((to, s) => {
        const [q0, q1] = xl.kind === 'gather' ? [0, this.P] : xl.slices[s];
        const lo = Math.max(p0, q0);
        const hi = Math.min(p1, q1);
        if (lo < hi) to.set(from.subarray(lo, hi), lo);
      });
    });
  }

  /** per node of this rank, per destination: the views its values are sent through (shifted: index p is parameter p) */
  private sendViews: Float32Array[][] = [];

  /** Exchange buffer views: this rank's own shard losses and stop word, every rank's (one thread calls these, before and after the exchange). */
  private exchangeViews(): ExchangeViews {
    if (this.xViews) return this.xViews;
    const x = this.layout.exchange!;
    const { size, rank } = this.plan.exchange!;
    const ranges = Array.from({ length: size }, (_, r) => rankShards(this.layout.V, { size, rank: r }));
    const buf = this.memory.buffer;
    const mine = ranges[rank][1] - ranges[rank][0];
    this.xViews = {
      ranges,
      losses: ranges.map(([a, b], r) => new Float64Array(buf, x.losses[r], b - a)),
      stops: x.stops.map((at) => new Int32Array(buf, at, 1)),
      ownLosses: x.ownLosses.map((at) => new Float64Array(buf, at, mine)),
      ownStops: x.ownStops.map((at) => new Int32Array(buf, at, 1)),
    };
    return this.xViews;
  }
  private xViews: ExchangeViews | undefined;

  /** Before the exchange: this rank's shard losses and its stop word (1 = a stop was asked for here) into what it sends. */
  packExchange(stop: number): void {
    const { ownLosses, ownStops, ranges } = this.exchangeViews();
    const r = this.plan.exchange!.rank;
    for (const l of ownLosses) l.set(this.data.shardLoss.subarray(ranges[r][0], ranges[r][1]));
    for (const s of ownStops) s[0] = stop;
  }

  /** After the exchange: every rank's shard losses into data.shardLoss; returns whether any rank asked to stop. */
  unpackExchange(): boolean {
    const { losses, stops, ranges } = this.exchangeViews();
    let stop = false;
    ranges.forEach(([a], r) => {
      this.data.shardLoss.set(losses[r], a);
      if (stops[r][0] !== 0) stop = true;
    });
    return stop;
  }

  /** Forward and backward read θ from buffer b (its layer views swapped in: no copy). */
  private readFrom(b: 0 | 1): void {
    const v = this.thetaViews[b];
    this.ws.W = v.W;
    this.ws.b = v.b;
    this.ws.Ws = v.S;
  }

  /**
   * After a segment whose θ ended in the second buffers: this worker's slice of θ and of the
   * optimizer state copied back into the first (O(P/W) once a segment, not a step).
   */
  copyBack(): void {
    for (const v of this.sliceViews) v.to.set(v.from);
  }

  /**
   * Phase 2, after every worker's gradients: over this worker's slice, finish the tree, ḡ = sum / B,
   * the optimizer step at `lr` (t = 1-based step) reading θ and its state from buffer `from` and
   * writing them into buffer `to` (the same buffer: in place), and the finiteness check. Returns
   * false when ḡ or θ is not finite. With from ≠ to, buffer `from` is left as it was, so a step
   * that fails half-way is simply run again. `stopHalfWay` (fault tests) updates half the slice.
   */
  update(batchSize: number, lr: number, t: number, from: 0 | 1 = 0, to: 0 | 1 = from, stopHalfWay = false): boolean {
    const { p0 } = this;
    const p1 = stopHalfWay ? (this.p0 + this.p1) >>> 1 : this.p1;
    for (const op of this.plan.top) treeAdd(this.kernels, this.buffer(op.a), this.buffer(op.b), p0, p1);
    const other = this.plan.rootOther ? this.buffer(this.plan.rootOther) : undefined;
    const u = this.slice;
    u.root = this.buffer(this.plan.root);
    u.other = other;
    u.p0 = p0;
    u.p1 = p1;
    u.inv = 1 / batchSize;
    u.lr = lr;
    u.t = t;
    const { run } = this;
    u.theta = from === 0 ? run.params : run.paramsB;
    u.state = from === 0 ? run.optState : run.optStateB;
    u.thetaOut = to === 0 ? run.params : run.paramsB;
    u.stateOut = to === 0 ? run.optState : run.optStateB;
    const ok = finishSlice(this.kernels, u);
    // the noise estimate's partials of this worker's blocks, from the root's two halves (it only reads them)
    if (ok && other !== undefined && !stopHalfWay && noiseDue(this.layout, t)) {
      const rowsA = leftHalfRows(this.layout.V, batchSize);
      const [b0, b1] = this.noiseBlocks;
      if (!this.kernels.noiseHalves?.(u.root, other, rowsA, batchSize - rowsA, this.P, b0, b1, this.noisePartials))
        noiseHalvesPartials(u.root as Float32Array, other as Float32Array, rowsA, batchSize - rowsA, this.P, b0, b1, this.noisePartials);
    }
    return ok;
  }

  /** Fills this worker's slot `slot` with NaN: a crash half-way through a write, for fault tests. */
  poisonSlot(slot: number): void {
    this.partials[this.w][slot].fill(Number.NaN);
  }

  private buffer(ref: BufferRef): Float32Array {
    return this.partials[ref.worker][ref.slot];
  }

  /** The shard views for batches of B rows (two sizes a run: the full batch and the epoch's last). */
  private shardViews(B: number): ShardViews {
    let v = this.byBatch.get(B);
    if (v) return v;
    const { V } = this.layout;
    const { s0, s1 } = this.mine;
    const { ws } = this;
    const layers = ws.layout.layers;
    const L = layers.length;
    const nL = layers[L - 1].nOut;
    const rows = new Int32Array(s1 - s0);
    const below: Float32Array[][] = [];
    const dv: Float32Array[][] = [];
    const outV: Float32Array[] = [];
    const outY: Float32Array[] = [];
    const target: Float32Array[] = [];
    const first = shardBound(0, B, V, s0);
    for (let s = s0; s < s1; s++) {
      const r0 = shardBound(0, B, V, s) - first;
      const m = shardBound(0, B, V, s + 1) - first - r0;
      rows[s - s0] = m;
      below.push(layers.map((ly, l) => (l === 0 ? ws.x : ws.y[l - 1]).subarray(r0 * ly.nIn, (r0 + m) * ly.nIn)));
      dv.push(layers.map((ly, l) => ws.dv[l].subarray(r0 * ly.nOut, (r0 + m) * ly.nOut)));
      outV.push(ws.v[L - 1].subarray(r0 * nL, (r0 + m) * nL));
      outY.push(ws.y[L - 1].subarray(r0 * nL, (r0 + m) * nL));
      target.push(ws.t.subarray(r0 * nL, (r0 + m) * nL));
    }
    v = { rows, below, dv, outV, outY, target };
    this.byBatch.set(B, v);
    return v;
  }
}

/**
 * Writes a worker's leaves as Kernels.gemmTNLeaves's plan (rows are filled in per batch size):
 * groups of two sibling leaves (the right one's innermost pending level is the left one) or one
 * leaf, each group's dst slot and remaining pending levels, then the published slots. Returns the
 * groups' leaf indices (left, right or −1).
 */
function writeLeafPlan(plan: Int32Array, mine: WorkerTreePlan): (readonly [number, number])[] {
  const leaves = mine.leaves;
  if (leaves.some((op, j) => op.shard !== mine.s0 + j)) throw new Error("the tree plan lists a worker's leaves out of shard order");
  const groups: { left: number; right: number; dst: number; adds: readonly number[] }[] = [];
  for (let j = 0; j < leaves.length; ) {
    const l = leaves[j];
    const r = leaves[j + 1];
    if (l.adds.length === 0 && r !== undefined && r.adds[0] === l.dst) {
      groups.push({ left: j, right: j + 1, dst: r.dst, adds: r.adds.slice(1) });
      j += 2;
    } else {
      groups.push({ left: j, right: -1, dst: l.dst, adds: l.adds });
      j += 1;
    }
  }
  plan[0] = groups.length;
  plan[1] = mine.slots;
  let at = 2 + 2 * groups.length;
  for (const g of groups) {
    plan[at++] = g.dst;
    plan[at++] = g.adds.length;
    for (const a of g.adds) plan[at++] = a;
  }
  plan[at++] = mine.published.length;
  for (const node of mine.published) plan[at++] = node.slot;
  return groups.map((g) => [g.left, g.right] as const);
}

interface ExchangeViews {
  readonly ranges: [number, number][];
  readonly losses: Float64Array[];
  readonly stops: Int32Array[];
  readonly ownLosses: Float64Array[];
  readonly ownStops: Int32Array[];
}

/** θ, ḡ, the optimizer state and θ's and the state's second buffers, as views in this thread. */
export interface RunViews {
  readonly params: Float32Array; // (P)
  readonly avgGrad: Float32Array; // (P)
  readonly optState: Float32Array; // (S, P)
  readonly paramsB: Float32Array; // (P)
  readonly optStateB: Float32Array; // (S, P)
}

export function runViews(memory: WasmMemory, layout: RunLayout): RunViews {
  return {
    params: floatsOf(memory, layout.params),
    avgGrad: floatsOf(memory, layout.avgGrad),
    optState: floatsOf(memory, layout.optState),
    paramsB: floatsOf(memory, layout.paramsB),
    optStateB: floatsOf(memory, layout.optStateB),
  };
}

/** Whether step t (1-based) measures the gradient noise: every layout.noiseEvery steps, with at least two shards (the root's two halves). */
export function noiseDue(layout: RunLayout, t: number): boolean {
  const every = layout.noiseEvery ?? 0;
  return every > 0 && layout.V > 1 && t % every === 0;
}

/** Rows of a batch of B in the root's left half (shards [0, splitPoint(0, V))); all B with one shard. */
export function leftHalfRows(V: number, B: number): number {
  const split = splitPoint(0, V);
  return split < 0 ? B : shardBound(0, B, V, split);
}

/** The noise partials of a run (layout.noise) as a view in this thread. */
export function noisePartialsView(memory: WasmMemory, layout: RunLayout): Float64Array {
  return new Float64Array(memory.buffer, layout.noise.byteOffset, layout.noise.bytes / 8);
}

/**
 * The live estimate of a step of B rows from the partials its workers wrote (every block of the
 * run's memory; across ranks with slices, gathered): K = 2 groups, the root's halves. Summed in
 * block order (core's noiseFromPartialsInto: it allocates nothing, the last worker at the
 * end-of-step barrier calls it), so the same bits on every worker count and rank count.
 * Writes |G|²_est at out[at] and tr(Σ)_est at out[at + 1] (NaN with fewer than two non-empty halves).
 */
export function writeNoiseOfStep(layout: RunLayout, partials: Float64Array, B: number, out: Float64Array, at: number): void {
  const rowsA = leftHalfRows(layout.V, B);
  const K = (rowsA > 0 ? 1 : 0) + (B - rowsA > 0 ? 1 : 0);
  noiseFromPartialsInto(partials, noiseBlockCount(layout.P), B, K, out, at);
}
