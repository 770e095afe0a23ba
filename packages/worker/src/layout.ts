import { alignUp, Arena, createWasmMemory, NOISE_BLOCK, noiseBlockCount, createWorkspace, specLayout, stateSlots, WASM_SCRATCH_RESERVED, LEAF_BLOCK_FLOATS, type MemoryRegion, type MLPSpec, type OptimizerConfig, type WasmMemory } from '@shardgrad/core';
import { planTree, rankShards, workerShards, type RankShape, type TreePlan, type WorkerTreePlan } from './tree.js';
import { paramSlice, shardBound } from './shards.js';

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
  /** the live gradient-noise estimate every this many steps (0 or absent: off); on, parameter slices are cut at NOISE_BLOCK boundaries */
  readonly noiseEvery?: number;
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
  /** θ and the optimizer state, second buffers: the Node engine's steps alternate (a step reads one pair and writes the other) */
  readonly paramsB: MemoryRegion; // (P)
  readonly optStateB: MemoryRegion; // (S, P)
  readonly workers: readonly WorkerRegions[];
  /** across ranks: the buffer every rank's published nodes meet in */
  readonly exchange?: ExchangeLayout;
  /** the live noise estimate's partials: (noiseBlockCount(P), 2) float64, each block written by the worker whose slice holds it */
  readonly noise: MemoryRegion;
  /** --sync local:H or hogwild: the replicas' regions (local.ts) */
  readonly local?: import('./local.js').LocalLayout;
}

/**
 * The buffers of the exchange between ranks (ranks > 1), byte offsets into the run's memory.
 *
 * gather (one MPI_Allgatherv of bytes, in place): one block per rank, in rank order, holding the
 * rank's published tree nodes (P floats each), its shards' losses (float64) and its stop word
 * (int32). Every rank ends with every node and finishes the whole tree and the whole update.
 *
 * slices (MPI_Alltoallv, then the next step begins with an MPI_Allgatherv of θ): rank ρ finishes the
 * tree and the update over its parameter slice Q_ρ only. The chunk rank ρ sends rank σ holds ρ's
 * losses and stop word, then each of ρ's nodes cut to Q_σ; θ's slices are gathered at the start of
 * the next step (or when the run needs all of θ), so that a step run again after a crash finds θ
 * as it was.
 */
export interface ExchangeLayout {
  readonly kind: ExchangeKind;
  readonly region: MemoryRegion;
  /** per rank: what this rank sends it and receives from it (gather: the same block, in place) */
  readonly send: readonly Chunk[];
  readonly recv: readonly Chunk[];
  /** per node of ExchangePlan.nodes: where a P-float view of it starts (slices: shifted, so index p ∈ Q of this rank is its value) */
  readonly nodes: readonly number[];
  /** per node of this rank (in ExchangePlan.copies' order), per destination rank σ: the P-float view its values for Q_σ are written through */
  readonly sendNodes: readonly (readonly number[])[];
  /** per rank: where its shards' losses and its stop word are after the exchange */
  readonly losses: readonly number[];
  readonly stops: readonly number[];
  /** where this rank writes its own losses and stop word before it (one place per chunk it sends) */
  readonly ownLosses: readonly number[];
  readonly ownStops: readonly number[];
  /** per rank: the parameter slice [lo, hi) it updates (gather: all of them [0, P)) */
  readonly slices: readonly (readonly [number, number])[];
  /** slices: an int32 the ranks' step statuses are reduced in (max) */
  readonly status: number;
}

export type ExchangeKind = 'gather' | 'slices';

export interface Chunk {
  readonly byteOffset: number;
  readonly bytes: number;
}

/** Rows of the largest batch in worker w's shards. */
export function workerCapacity(batch: number, V: number, W: number, w: number, ranks?: RankShape): number {
  const [s0, s1] = workerShards(V, W, w, ranks);
  return Math.max(1, shardBound(0, batch, V, s1) - shardBound(0, batch, V, s0));
}

export function layoutRun(shape: RunShape, plan: TreePlan = planTree(shape.V, shape.W, shape.ranks)): RunLayout {
  const { spec, V, W, batch } = shape;
  const { total: P } = specLayout(spec);
  const S = stateSlots(shape.optimizer.kind);
  const arena = new Arena({ buffer: new ArrayBuffer(0), grow: () => 0 }, 64, Infinity);
  const params = arena.region(P * 4);
  const avgGrad = arena.region(P * 4);
  const optState = arena.region(S * P * 4);
  const paramsB = arena.region(P * 4);
  const optStateB = arena.region(S * P * 4);
  const workers = plan.workers.map((wp, w) => workerRegions(arena, spec, workerCapacity(batch, V, W, w, shape.ranks), wp, P));
  const exchange = plan.exchange ? layoutExchange(arena, plan, P, V, shape.ranks?.exchange ?? 'gather', sliceAlign(shape)) : undefined;
  const noise = arena.region(noiseBlockCount(P) * 16);
  return { ...shape, P, bytes: arena.used, params, avgGrad, optState, paramsB, optStateB, workers, noise, ...(exchange ? { exchange } : {}) };
}

/** Floats the parameter slices of workers and ranks are cut at: the noise blocks when the live estimate is on (each block then has one owner), else a cache line. */
export function sliceAlign(shape: RunShape): number | undefined {
  return (shape.noiseEvery ?? 0) > 0 ? NOISE_BLOCK : undefined;
}

/**
 * One worker's regions, next in `arena`: its tree's partial slots, a workspace of `capacity` rows,
 * the kernels' scratch, a leaf's scratch and the leaves' plan (the local-SGD layout reuses it for
 * each replica's tree).
 */
export function workerRegions(arena: Arena, spec: MLPSpec, capacity: number, wp: WorkerTreePlan, P: number): WorkerRegions {
  const { layers, skips } = specLayout(spec);
  const maxKN = Math.max(...[...layers, ...skips].map((s) => s.nIn * s.nOut));
  const maxN = Math.max(...layers.map((s) => s.nOut));
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
}

function layoutExchange(arena: Arena, plan: TreePlan, P: number, V: number, kind: ExchangeKind, align: number | undefined): ExchangeLayout {
  const { nodes, size, rank } = plan.exchange!;
  const ranges = Array.from({ length: size }, (_, r) => rankShards(V, { size, rank: r }));
  const count = (r: number) => nodes.filter((x) => x.rank === r).length;
  // a chunk's head: the sender's shard losses (float64) and its stop word, padded to 8 bytes
  const head = (r: number) => (ranges[r][1] - ranges[r][0]) * 8 + 8;
  const slices: [number, number][] = kind === 'gather' ? ranges.map(() => [0, P]) : ranges.map((_, r) => paramSlice(P, size, r, align));
  const len = (r: number) => slices[r][1] - slices[r][0];
  if (kind === 'gather') {
    const stride = alignUp(P * 4);
    const sizes = ranges.map((_, r) => alignUp(count(r) * stride + head(r)));
    const region = arena.region(sizes.reduce((x, y) => x + y, 0));
    const blocks: Chunk[] = [];
    const nodeAt: number[] = [];
    const losses: number[] = [];
    const stops: number[] = [];
    let at = region.byteOffset;
    for (let r = 0; r < size; r++) {
      blocks.push({ byteOffset: at, bytes: sizes[r] });
      for (let j = 0; j < count(r); j++) nodeAt.push(at + j * stride);
      losses.push(at + count(r) * stride);
      stops.push(at + count(r) * stride + head(r) - 8);
      at += sizes[r];
    }
    const mine = nodes.map((x, i) => [x.rank, i] as const).filter(([r]) => r === rank).map(([, i]) => [nodeAt[i]]);
    return { kind, region, send: blocks, recv: blocks, nodes: nodeAt, sendNodes: mine, losses, stops, ownLosses: [losses[rank]], ownStops: [stops[rank]], slices, status: 0 };
  }
  // slices: send chunks (to σ: my head, then my nodes cut to Q_σ), then receive chunks (from ρ: ρ's head, then ρ's nodes cut to my Q)
  const sendBytes = ranges.map((_, s) => alignUp(head(rank) + count(rank) * len(s) * 4));
  const recvBytes = ranges.map((_, r) => alignUp(head(r) + count(r) * len(rank) * 4));
  const total = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
  // (+ P floats: the views of received nodes are shifted by Q's start and must stay inside the memory)
  const region = arena.region(total(sendBytes) + total(recvBytes) + 64 + P * 4);
  const send: Chunk[] = [];
  const recv: Chunk[] = [];
  let at = region.byteOffset;
  for (const bytes of sendBytes) {
    send.push({ byteOffset: at, bytes });
    at += bytes;
  }
  for (const bytes of recvBytes) {
    recv.push({ byteOffset: at, bytes });
    at += bytes;
  }
  const status = at;
  const [q0] = slices[rank];
  const nodeAt: number[] = [];
  for (let r = 0; r < size; r++) for (let j = 0; j < count(r); j++) nodeAt.push(recv[r].byteOffset + head(r) + j * len(rank) * 4 - q0 * 4);
  const sendNodes = Array.from({ length: count(rank) }, (_, j) => send.map((c, s) => c.byteOffset + head(rank) + j * len(s) * 4 - slices[s][0] * 4));
  return {
    kind,
    region,
    send,
    recv,
    nodes: nodeAt,
    sendNodes,
    losses: recv.map((c) => c.byteOffset),
    stops: recv.map((c, r) => c.byteOffset + head(r) - 8),
    ownLosses: send.map((c) => c.byteOffset),
    ownStops: send.map((c) => c.byteOffset + head(rank) - 8),
    slices,
    status,
  };
}

/**
 * The parameters worker w updates: its share (cache-line aligned) of the run's slice — all of θ
 * in one process and with the gather exchange, the rank's Q with slices.
 */
export function updateSlice(layout: RunLayout, w: number): [number, number] {
  const [lo, hi] = layout.exchange?.slices[layout.ranks!.rank] ?? [0, layout.P];
  const [a, b] = paramSlice(hi - lo, layout.W, w, sliceAlign(layout));
  return [lo + a, lo + b];
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
