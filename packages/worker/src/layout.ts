import { alignUp, Arena, createWasmMemory, createWorkspace, specLayout, stateSlots, WASM_SCRATCH_RESERVED, LEAF_BLOCK_FLOATS, type MemoryRegion, type MLPSpec, type OptimizerConfig, type WasmMemory } from '@shardgrad/core';
import { planTree, rankShards, workerShards, type RankShape, type TreePlan } from './tree.js';
import { shardBound } from './shards.js';

/** What fixes a run's memory: the model, the shards, the workers, the largest batch, the optimizer. */
export interface RunShape {
  readonly spec: MLPSpec;
  /** virtual shards per batch */
  readonly V: number;
  /** workers the tree is shared by (1 for the in-process engine); W ≤ V */
  readonly W: number;
  /** the largest batch (the others are the epoch's short last batch) */
  readonly batch: number;
  readonly optimizer: OptimizerConfig;
  /** one process of several (MPI ranks): W workers here run this rank's shards; absent = one process */
  readonly ranks?: RankShape;
}

/** One worker's part of the memory. */
export interface WorkerRegions {
  /** its partial-gradient slots: (slots, P) */
  readonly partials: MemoryRegion;
  readonly slots: number;
  /** rows its workspace holds: its shards' rows of the largest batch */
  readonly capacity: number;
  /** its forward/backward buffers (createWorkspace, replayed in this region) */
  readonly workspace: MemoryRegion;
  /** the kernels' scratch (Wᵀ, the tree chain) */
  readonly kernelScratch: MemoryRegion;
  /** a leaf's gradient for kernels without the fused tree store: (max k·n + max n) */
  readonly leafScratch: MemoryRegion;
  /** the leaves' plan as i32 words (Kernels.gemmTNLeaves): nLeaves, nSlots, rows, dst, count, adds per leaf, nPub, pub */
  readonly leafPlan: MemoryRegion;
}

/**
 * Where everything of a run lives in its one WebAssembly.Memory (byte offsets; plain numbers, so
 * it can be posted to workers): θ, ḡ, the optimizer state and their update backups, then per
 * worker its partial sums of the tree, its workspace and scratch. The data set stays in its own
 * SharedArrayBuffer. Shape letters: P parameters, S optimizer slots.
 */
export interface RunLayout extends RunShape {
  readonly P: number;
  readonly bytes: number;
  readonly params: MemoryRegion; // (P)
  readonly avgGrad: MemoryRegion; // (P)
  readonly optState: MemoryRegion; // (S, P)
  readonly backupParams: MemoryRegion; // (P)
  readonly backupState: MemoryRegion; // (S, P)
  readonly workers: readonly WorkerRegions[];
  /** across ranks: the buffer every rank's published nodes meet in */
  readonly exchange?: ExchangeLayout;
}

/**
 * The exchange buffer (ranks > 1): one block per rank, in rank order, each holding the rank's
 * published tree nodes (P floats each, at a slot stride), its shards' losses (float64) and its stop
 * word (int32), so one Allgatherv of bytes moves everything a step needs between ranks.
 */
export interface ExchangeLayout {
  readonly region: MemoryRegion;
  /** per rank: its block (byte offset in the memory, bytes) */
  readonly blocks: readonly { readonly byteOffset: number; readonly bytes: number }[];
  /** per node of ExchangePlan.nodes: the byte offset of its P floats */
  readonly nodes: readonly number[];
  /** per rank: the byte offset of its shards' losses and of its stop word */
  readonly losses: readonly number[];
  readonly stops: readonly number[];
}

/** Rows of the largest batch in worker w's shards. */
export function workerCapacity(batch: number, V: number, W: number, w: number, ranks?: RankShape): number {
  const [s0, s1] = workerShards(V, W, w, ranks);
  return Math.max(1, shardBound(0, batch, V, s1) - shardBound(0, batch, V, s0));
}

export function layoutRun(shape: RunShape, plan: TreePlan = planTree(shape.V, shape.W, shape.ranks)): RunLayout {
  const { spec, V, W, batch } = shape;
  const { layers, skips, total: P } = specLayout(spec);
  const S = stateSlots(shape.optimizer.kind);
  const maxKN = Math.max(...[...layers, ...skips].map((s) => s.nIn * s.nOut));
  const maxN = Math.max(...layers.map((s) => s.nOut));
  const arena = new Arena({ buffer: new ArrayBuffer(0), grow: () => 0 }, 64, Infinity);
  const params = arena.region(P * 4);
  const avgGrad = arena.region(P * 4);
  const optState = arena.region(S * P * 4);
  const backupParams = arena.region(P * 4);
  const backupState = arena.region(S * P * 4);
  const workers = plan.workers.map((wp, w): WorkerRegions => {
    const capacity = workerCapacity(batch, V, W, w, shape.ranks);
    const wsBytes = Arena.measure((a) => createWorkspace(spec, capacity, (n) => a.floats(n)));
    // 2 header words, per group (≤ one per leaf) 2 row words + dst + count + its adds, then the published count and slots
    const planWords = 3 + 4 * wp.leaves.length + wp.leaves.reduce((s, op) => s + op.adds.length, 0) + wp.published.length;
    // the kernels' per-call scratch: Wᵀ (max k·n), a packed strip of the rows (capacity·8), a tile per leaf (48 each)
    const callScratch = Math.max(maxKN, capacity * 8 + (wp.leaves.length + wp.slots) * LEAF_BLOCK_FLOATS) * 4;
    return {
      partials: arena.region(wp.slots * alignUp(P * 4)),
      slots: wp.slots,
      capacity,
      workspace: arena.region(wsBytes),
      kernelScratch: arena.region(callScratch + 4096 + WASM_SCRATCH_RESERVED),
      leafScratch: arena.region((maxKN + maxN) * 4 + 64),
      leafPlan: arena.region(planWords * 4),
    };
  });
  const exchange = plan.exchange ? layoutExchange(arena, plan, P, V) : undefined;
  return { ...shape, P, bytes: arena.used, params, avgGrad, optState, backupParams, backupState, workers, ...(exchange ? { exchange } : {}) };
}

function layoutExchange(arena: Arena, plan: TreePlan, P: number, V: number): ExchangeLayout {
  const { nodes, size } = plan.exchange!;
  const stride = alignUp(P * 4);
  const sizes = Array.from({ length: size }, (_, r) => {
    const [a, b] = rankShards(V, { size, rank: r });
    const n = nodes.filter((x) => x.rank === r).length;
    return alignUp(n * stride + (b - a) * 8 + 8);
  });
  const region = arena.region(sizes.reduce((x, y) => x + y, 0));
  const blocks: { byteOffset: number; bytes: number }[] = [];
  const nodeAt: number[] = [];
  const losses: number[] = [];
  const stops: number[] = [];
  let at = region.byteOffset;
  for (let r = 0; r < size; r++) {
    blocks.push({ byteOffset: at, bytes: sizes[r] });
    let k = at;
    nodes.forEach((x) => {
      if (x.rank !== r) return;
      nodeAt.push(k);
      k += stride;
    });
    const [a, b] = rankShards(V, { size, rank: r });
    losses.push(k);
    stops.push(k + (b - a) * 8);
    at += sizes[r];
  }
  return { region, blocks, nodes: nodeAt, losses, stops };
}

/** The run's memory: shared between threads where the runtime can (Node; a cross-origin isolated page). */
export function createRunMemory(layout: RunLayout, shared: boolean): WasmMemory {
  return createWasmMemory(layout.bytes, shared);
}

/** Slot `slot` of worker w's partial sums, as a view of P floats. */
export function partialView(memory: WasmMemory, layout: RunLayout, w: number, slot: number): Float32Array {
  return new Float32Array(memory.buffer, layout.workers[w].partials.byteOffset + slot * alignUp(layout.P * 4), layout.P);
}

/** A region as float32 view in this thread. */
export function floatsOf(memory: WasmMemory, r: MemoryRegion): Float32Array {
  return new Float32Array(memory.buffer, r.byteOffset, r.bytes / 4);
}
