import { Arena, specLayout, stateSlots, type Kernels, type MemoryRegion, type WasmMemory } from '@shardgrad/core';
import { SEGMENT_MAX, sharedClockMs } from './barrier.js';
import type { CommCounts } from './comm.js';
import type { KernelChoice } from './kernels.js';
import { floatsOf, layoutRun, workerRegions, type RunLayout, type RunShape } from './layout.js';
import { shardBound, shardRange } from './shards.js';
import { StepStatus, WorkerStep, type RunData } from './step.js';
import { coverNodes, planTree, splitPoint, type TreeNode } from './tree.js';

/**
 * Training that averages less often than every step (docs/distributed.md, "Averaging less often"):
 *
 * - local SGD / DiLoCo (`local`): R logical replicas, replica r = the fixed contiguous virtual
 *   shards shardRange(0, V, R, r). Every step each replica takes the rows of its shards of the
 *   global batch (the data order of `step`), computes its gradient over its own shards' tree in one
 *   thread and applies the inner optimizer to its own θ and state. After H steps (a round) the
 *   replicas' models are averaged, weighted by their rows over the round, through the canonical
 *   pairwise tree over the replicas, in float64 per parameter; with an outer optimizer (DiLoCo) the
 *   average change Δ = θ_start − avg is the outer gradient. Every replica restarts from the result.
 *   A replica's bits depend only on its shards, the tree only on R: the same θ on any placement.
 * - Hogwild! (`hogwild`): every virtual shard is a "replica" whose θ and optimizer state ARE the
 *   run's; the worker owning a shard applies its gradient at once, racing the others (not
 *   reproducible beyond one worker). A shared update counter measures staleness.
 *
 * Shape letters: P parameters, S optimizer slots, V virtual shards, R replicas, W workers, H steps a round.
 */

/** The outer optimizer of DiLoCo: SGD with Nesterov momentum on Δ = θ_start − avg(θ_replicas). */
export interface OuterOptimizer {
  readonly kind: 'nesterov';
  readonly lr: number;
  readonly momentum: number;
}

/** How the workers meet, when not every step: `every` = H steps a round. */
export type LocalSync =
  | { readonly kind: 'local'; readonly every: number; readonly replicas: number; readonly outer?: OuterOptimizer }
  | { readonly kind: 'hogwild' };

export interface LocalLayout {
  readonly sync: LocalSync;
  /** replicas (hogwild: one per virtual shard) */
  readonly R: number;
  readonly W: number;
  /** per replica: its virtual shards [v0, v1) */
  readonly shards: readonly (readonly [number, number])[];
  /** per worker of this process: its replicas [r0, r1) (contiguous) */
  readonly placement: readonly (readonly [number, number])[];
  /** per replica: its θ (every process holds every replica's; it steps only its own) */
  readonly thetas: readonly MemoryRegion[];
  /** per replica this process runs (null for the others'): a run layout of its shards on one worker: params/optState are the replica's θ and state, the other regions its worker's */
  readonly replicas: readonly (RunLayout | null)[];
  /** across MPI ranks: which rank runs which replicas, and what they exchange at each chunk's end */
  readonly ranks?: LocalRankPlan;
  /** DiLoCo's outer momentum (P), the first part of the run's optState */
  readonly momentum?: MemoryRegion;
  /** the run's batch: rounds are counted in its steps */
  readonly batch: number;
}

/**
 * local:H across MPI ranks: rank k runs the replicas shardRange(0, R, size, k) and, at the end of
 * every chunk of steps — a round, or the part of one before a segment's end (a checkpoint) — all
 * ranks exchange one block each (MPI_Allgatherv of bytes, in place):
 * its stop word, its replicas' first failed step and status, their losses over the chunk, and at a
 * round's end the float64 sums of the largest nodes of the replica tree inside its replicas
 * (coverNodes) — every rank then evaluates the same top of the tree, so θ is the same bits as in
 * one process. Block k: [stop: int32, pad] [failedAt: int32 × R_k] [failStatus: int32 × R_k]
 * [losses: float64 × chunk × R_k] [node sums: float64 × P each].
 */
export interface LocalRankPlan {
  readonly size: number;
  readonly rank: number;
  /** per rank: its replicas [q0, q1) */
  readonly replicas: readonly (readonly [number, number])[];
  /** every rank's published nodes of the replica tree, rank by rank, left to right */
  readonly nodes: readonly (TreeNode & { readonly rank: number })[];
  /** per rank: its block's byte offset, its header's bytes and its nodes' bytes */
  readonly blocks: readonly { readonly at: number; readonly head: number; readonly nodeBytes: number }[];
  readonly bytes: number;
  /** the most steps between two exchanges: H (at most a segment) */
  readonly chunk: number;
}

/** What a local-mode run's coordinator exchanges with the other ranks (collective: every rank makes the same calls in the same order). */
export interface LocalRankLink {
  /** In place: every rank's block of the exchange buffer (its header; with `nodes`, its node sums too) to every rank. */
  exchange(nodes: boolean): Promise<void>;
  /** Every replica's θ and optimizer state on every rank (before a checkpoint: each rank steps only its own replicas). */
  gatherReplicas(): Promise<void>;
  /** what this rank sent and received so far, and the exchanges (every exchange, not the gathers for checkpoints) */
  readonly comm: CommCounts;
}

/** Steps a worker is handed at once in one process: a stop request is seen after at most this many (chunks end at rounds' ends too). */
export const LOCAL_CHUNK = 16;

/** The exchange of R replicas' ranks (`chunk`: the most steps between two exchanges, whose losses a block carries). */
export function planLocalRanks(R: number, P: number, size: number, rank: number, chunk: number): LocalRankPlan {
  const replicas = Array.from({ length: size }, (_, k) => shardRange(0, R, size, k));
  const nodes = replicas.flatMap(([q0, q1], k) => coverNodes(R, q0, q1).map((n) => ({ ...n, rank: k })));
  let at = 0;
  const blocks = replicas.map(([q0, q1], k) => {
    const n = q1 - q0;
    const block = { at, head: 8 + 8 * n + 8 * chunk * n, nodeBytes: nodes.filter((x) => x.rank === k).length * P * 8 };
    at += block.head + block.nodeBytes;
    return block;
  });
  return { size, rank, replicas, nodes, blocks, bytes: at, chunk };
}

/** A run layout with the local modes' regions (RunLayout.local set). */
export type LocalRunLayout = RunLayout & { readonly local: LocalLayout };

/** Floats of the run's optimizer-state record in local mode: [outer momentum (P)] · θ of each replica (R, P) · state of each replica (R, S, P). */
export function localStateFloats(P: number, S: number, sync: LocalSync): number {
  if (sync.kind === 'hogwild') return S * P;
  return (sync.outer ? P : 0) + sync.replicas * P * (1 + S);
}

/**
 * The memory of a local-mode run on `shape.W` workers (W ≤ R; `shape.batch` the largest batch,
 * `runBatch` the run's, in whose steps rounds are counted): the run's own θ (the last average),
 * and as its "optimizer state" (what checkpoints store) the outer momentum, every replica's θ and
 * every replica's optimizer state; per worker and per replica size, one tree's slots and workspace.
 */
export function layoutLocal(shape: RunShape, sync: LocalSync, ranks?: { readonly size: number; readonly rank: number }, runBatch = shape.batch): LocalRunLayout {
  const { spec, V, W, batch } = shape;
  // (no live noise estimate: a replica's tree is not the batch's)
  const { noiseEvery: _noise, ...plain } = shape;
  const base = layoutRun({ ...plain, W: 1 });
  const { P } = base;
  const S = stateSlots(shape.optimizer.kind);
  const hogwild = sync.kind === 'hogwild';
  const R = hogwild ? V : sync.replicas;
  // across ranks the ranks meet once a round (H steps; a segment is at most SEGMENT_MAX)
  const rankPlan = ranks && ranks.size > 1 && !hogwild ? planLocalRanks(R, specLayout(spec).total, ranks.size, ranks.rank, Math.min(sync.every, SEGMENT_MAX)) : undefined;
  const [q0, q1] = rankPlan ? rankPlan.replicas[rankPlan.rank] : [0, R];
  if (!(W >= 1 && W <= q1 - q0 && R <= V)) throw new Error(`layoutLocal: need 1 ≤ W ≤ the replicas of this process ≤ R ≤ V, got W=${W}, replicas [${q0}, ${q1}), R=${R}, V=${V}`);
  const arena = new Arena({ buffer: new ArrayBuffer(0), grow: () => 0 }, base.bytes, Infinity);
  const outer = !hogwild && sync.outer ? P : 0;
  const optState = hogwild ? base.optState : arena.region(localStateFloats(P, S, sync) * 4);
  const floatsAt = (at: number, n: number): MemoryRegion => ({ byteOffset: optState.byteOffset + at * 4, bytes: n * 4 });
  const shards = Array.from({ length: R }, (_, r) => shardRange(0, V, R, r));
  const placement = Array.from({ length: W }, (_, w) => shardRange(q0, q1, W, w));
  const thetas = shards.map((_, r) => (hogwild ? base.params : floatsAt(outer + r * P, P)));
  const rowsOf = (r: number) => Math.max(1, shardBound(0, batch, V, shards[r][1]) - shardBound(0, batch, V, shards[r][0]));
  const replicas: (RunLayout | null)[] = shards.map(() => null);
  for (const [r0, r1] of placement) {
    // the replicas of one worker with the same shard count share one tree's slots, workspace and scratch (they run one after another)
    const groups = new Map<number, { regions: ReturnType<typeof workerRegions>; avgGrad: MemoryRegion; used: boolean }>();
    for (let r = r0; r < r1; r++) {
      const Vr = shards[r][1] - shards[r][0];
      if (!groups.has(Vr)) {
        let capacity = 1;
        for (let q = r0; q < r1; q++) if (shards[q][1] - shards[q][0] === Vr) capacity = Math.max(capacity, rowsOf(q));
        groups.set(Vr, { regions: workerRegions(arena, spec, capacity, planTree(Vr, 1).workers[0], P), avgGrad: arena.region(P * 4), used: false });
      }
      const g = groups.get(Vr)!;
      // the leaves' plan holds the replica's row counts: one of its own
      const regions = g.used ? { ...g.regions, leafPlan: arena.region(g.regions.leafPlan.bytes) } : g.regions;
      g.used = true;
      const params = thetas[r];
      const state = hogwild ? base.optState : floatsAt(outer + R * P + r * S * P, S * P);
      replicas[r] = { ...base, V: Vr, W: 1, params, paramsB: params, optState: state, optStateB: state, avgGrad: g.avgGrad, workers: [regions] };
    }
  }
  const local: LocalLayout = { sync, R, W, shards, placement, thetas, replicas, batch: runBatch, ...(outer ? { momentum: floatsAt(0, P) } : {}), ...(rankPlan ? { ranks: rankPlan } : {}) };
  return { ...base, W, optState, bytes: arena.used, local };
}

/** The worker threads a local-mode run uses: at most one per replica of this process (hogwild: per virtual shard), at least one. */
export function localWorkers(sync: LocalSync, V: number, workers: number, ranks?: { readonly size: number; readonly rank: number }): number {
  const [q0, q1] = sync.kind === 'local' && ranks && ranks.size > 1 ? shardRange(0, sync.replicas, ranks.size, ranks.rank) : [0, sync.kind === 'local' ? sync.replicas : V];
  return Math.max(1, Math.min(workers, q1 - q0));
}

/** A fresh run (not a resume): every replica starts from the run's θ. */
export function startReplicas(memory: WasmMemory, layout: RunLayout): void {
  const local = layout.local;
  if (!local || local.sync.kind !== 'local') return;
  const theta = floatsOf(memory, layout.params);
  for (const t of local.thetas) floatsOf(memory, t).set(theta);
}

/** What the coordinator and the workers of a local-mode run share besides the run's memory (SharedArrayBuffers in Node). */
export interface LocalTables {
  /** (SEGMENT_MAX) the learning rate of each step of the segment */
  readonly lrs: Float64Array;
  /** (SEGMENT_MAX, R) each replica's summed loss at each step of the segment */
  readonly loss: Float64Array;
  /** (SEGMENT_MAX, W) when each worker finished each step (sharedClockMs), and its math time (ms) */
  readonly endMs: Float64Array;
  readonly mathMs: Float64Array;
  /** (R) the first step (index in the segment) at which the replica was not ok, or −1; and that step's StepStatus */
  readonly failedAt: Int32Array;
  readonly failStatus: Int32Array;
  /** (1) hogwild: updates applied to θ so far */
  readonly version: Int32Array;
  /** (W, 2) hogwild: per worker, Σ staleness and its updates */
  readonly stale: Float64Array;
  /** (R + 1) the rows of each replica over the round being averaged, then their sum */
  readonly weights: Float64Array;
  /** across ranks: the exchange buffer (LocalRankPlan.bytes), and a float64 view (P) of each node's sums in it */
  readonly exchange?: Uint8Array;
  readonly nodeSums?: readonly Float64Array[];
}

export function createLocalTables(R: number, W: number, shared: boolean, ranks?: LocalRankPlan, P = 0): LocalTables {
  const buf = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const failedAt = new Int32Array(buf(R * 4)).fill(-1);
  return {
    lrs: new Float64Array(buf(SEGMENT_MAX * 8)),
    loss: new Float64Array(buf(SEGMENT_MAX * R * 8)),
    endMs: new Float64Array(buf(SEGMENT_MAX * W * 8)),
    mathMs: new Float64Array(buf(SEGMENT_MAX * W * 8)),
    failedAt,
    failStatus: new Int32Array(buf(R * 4)),
    version: new Int32Array(buf(4)),
    stale: new Float64Array(buf(W * 2 * 8)),
    weights: new Float64Array(buf((R + 1) * 8)),
    ...(ranks ? exchangeTables(ranks, P, buf(ranks.bytes)) : {}),
  };
}

function exchangeTables(plan: LocalRankPlan, P: number, buffer: ArrayBuffer | SharedArrayBuffer): Pick<LocalTables, 'exchange' | 'nodeSums'> {
  const seen = plan.blocks.map(() => 0);
  const nodeSums = plan.nodes.map((n) => {
    const b = plan.blocks[n.rank];
    return new Float64Array(buffer, b.at + b.head + seen[n.rank]++ * P * 8, P);
  });
  return { exchange: new Uint8Array(buffer), nodeSums };
}

/** The steps [from, to) of a segment (Segment of the coordinator: step t0 + i trains on order[start + i·batch, …)). */
export interface LocalChunk {
  readonly t0: number;
  readonly start: number;
  readonly batch: number;
  readonly rows: number;
  readonly from: number;
  readonly to: number;
}

/** Given once to every pool worker of a local-mode run (--sync local:H or hogwild): shared, not copied. */
export interface LocalRunnerInit {
  readonly layout: LocalRunLayout;
  readonly memory: WasmMemory;
  readonly data: Pick<RunData, 'X' | 'Y' | 'order'>;
  readonly kernel: KernelChoice;
  readonly tables: LocalTables;
}

/** Worker w runs its replicas over a chunk of steps, or averages its parameter slice [p0, p1). */
export type LocalTask =
  | ({ readonly kind: 'steps'; readonly w: number } & LocalChunk)
  /** across ranks, before the exchange: this rank's node sums of the replica tree over [p0, p1) */
  | { readonly kind: 'nodes'; readonly w: number; readonly p0: number; readonly p1: number }
  | { readonly kind: 'average'; readonly w: number; readonly p0: number; readonly p1: number };

/** Runs one task in worker w's LocalWorker (in-process, or on a pool thread). */
export function runLocalTask(lw: LocalWorker, task: LocalTask): void {
  if (task.kind === 'steps') lw.runSteps(task);
  else if (task.kind === 'nodes') lw.nodes(task.p0, task.p1);
  else lw.average(task.p0, task.p1);
}

/**
 * Node [lo, hi) of the canonical pairwise tree over the R replicas (tree.ts's splitPoint) as a
 * post-order program: k ≥ 0 pushes replica k's weighted θ, −2 − i pushes node i of `nodes` (sums
 * exchanged between ranks), −1 adds the top value into the one below it (left + right) — so a
 * stack evaluates exactly the tree's association.
 */
export function treeProgram(lo: number, hi: number, nodes: readonly TreeNode[] = []): Int32Array {
  const ops: number[] = [];
  const emit = (a: number, b: number): void => {
    const i = nodes.findIndex((n) => n.lo === a && n.hi === b);
    if (i >= 0) return void ops.push(-2 - i);
    const mid = splitPoint(a, b);
    if (mid < 0) return void ops.push(a);
    emit(a, mid);
    emit(mid, b);
    ops.push(-1);
  };
  emit(lo, hi);
  return Int32Array.from(ops);
}

/** Rows of replica r (shards [v0, v1) of V) in the round of steps at epoch positions [p0, p1] (a batch of `batch` rows, the epoch `rows` long). */
export function replicaRowsInRound(V: number, v0: number, v1: number, batch: number, rows: number, p0: number, p1: number): number {
  let n = 0;
  for (let p = p0; p <= p1; p++) {
    const start = p * batch;
    const end = Math.min(start + batch, rows);
    n += shardBound(start, end, V, v1) - shardBound(start, end, V, v0);
  }
  return n;
}

/**
 * Hogwild: whether ḡ and θ are finite, reading each value once. The update's own check computes
 * θ − θ, two reads, which another worker's write between them makes non-zero: a false alarm that
 * this settles (called only then).
 */
function finiteOnce(avg: Float32Array, theta: Float32Array): boolean {
  for (let i = 0; i < theta.length; i++) if (!Number.isFinite(avg[i]) || !Number.isFinite(theta[i])) return false;
  return true;
}

/**
 * What one worker of a local-mode run does: its replicas' steps (each replica's gradient and its
 * own optimizer step, one replica after another, every step) and its parameter slice of the
 * average. Everything is allocated here, once; a step allocates nothing.
 */
export class LocalWorker {
  private readonly r0: number;
  private readonly r1: number;
  /** per replica of this worker: its shards' losses of the last step */
  private readonly losses: Float64Array[];
  /** the average's program: over the replicas, or across ranks over every rank's nodes */
  private readonly program: Int32Array;
  /** across ranks: this rank's nodes (indices into the plan's nodes) and their programs over its replicas */
  private readonly own: readonly { readonly node: number; readonly program: Int32Array }[];
  private readonly nodeSums: readonly Float64Array[];
  private readonly stack: Float64Array;
  private readonly thetas: Float32Array[];
  private readonly params: Float32Array;
  private readonly momentum: Float32Array | undefined;

  private constructor(
    readonly layout: LocalRunLayout,
    memory: WasmMemory,
    readonly w: number,
    private readonly steps: WorkerStep[],
    private readonly tables: LocalTables,
  ) {
    const { local } = layout;
    [this.r0, this.r1] = local.placement[w];
    this.losses = steps.map((s) => s.data.shardLoss);
    const plan = local.ranks;
    this.program = treeProgram(0, local.R, plan?.nodes);
    this.own = plan ? plan.nodes.flatMap((n, node) => (n.rank === plan.rank ? [{ node, program: treeProgram(n.lo, n.hi) }] : [])) : [];
    this.nodeSums = tables.nodeSums ?? [];
    this.stack = new Float64Array(local.R + 2);
    this.thetas = local.thetas.map((t) => floatsOf(memory, t));
    this.params = floatsOf(memory, layout.params);
    this.momentum = local.momentum ? floatsOf(memory, local.momentum) : undefined;
  }

  /** Worker w's replicas over the run's memory; `loadKernels` makes the kernels over a scratch region (one per group of replicas sharing it). */
  static async create(
    layout: LocalRunLayout,
    memory: WasmMemory,
    w: number,
    data: Pick<RunData, 'X' | 'Y' | 'order'>,
    tables: LocalTables,
    loadKernels: (memory: WasmMemory, scratch: MemoryRegion) => Promise<Kernels>,
  ): Promise<LocalWorker> {
    const [r0, r1] = layout.local.placement[w];
    const kernels = new Map<number, Kernels>();
    const steps: WorkerStep[] = [];
    for (let r = r0; r < r1; r++) {
      const l = layout.local.replicas[r]!;
      const scratch = l.workers[0].kernelScratch;
      let k = kernels.get(scratch.byteOffset);
      if (!k) kernels.set(scratch.byteOffset, (k = await loadKernels(memory, scratch)));
      steps.push(new WorkerStep(l, memory, 0, k, { X: data.X, Y: data.Y, order: data.order, shardLoss: new Float64Array(l.V) }));
    }
    return new LocalWorker(layout, memory, w, steps, tables);
  }

  /**
   * The steps [from, to) of the chunk for this worker's replicas: per step, per replica in order,
   * its rows' gradient and its optimizer step on its own θ (hogwild: on the run's θ, counting how
   * many other updates landed between the read and the write). A replica with no rows in a step
   * (a batch shorter than V) skips it; a replica whose loss or update is not finite stops there.
   */
  runSteps(c: LocalChunk): void {
    const { local, V } = this.layout;
    const { R, W } = local;
    const { lrs, loss, endMs, mathMs, failedAt, failStatus, version, stale } = this.tables;
    const hogwild = local.sync.kind === 'hogwild';
    const w = this.w;
    for (let i = c.from; i < c.to; i++) {
      const t0 = performance.now();
      const t = c.t0 + i;
      const start = c.start + i * c.batch;
      const end = Math.min(start + c.batch, c.rows);
      for (let r = this.r0; r < this.r1; r++) {
        const at = i * R + r;
        loss[at] = 0;
        if (failedAt[r] >= 0) continue;
        const a = shardBound(start, end, V, local.shards[r][0]);
        const b = shardBound(start, end, V, local.shards[r][1]);
        if (a === b) continue;
        const step = this.steps[r - this.r0];
        const seen = hogwild ? Atomics.load(version, 0) : 0;
        step.gradients(a, b, 0);
        const own = this.losses[r - this.r0];
        let l = 0;
        for (let s = 0; s < own.length; s++) l += own[s];
        loss[at] = l;
        let status: number = StepStatus.lossNotFinite;
        if (Number.isFinite(l)) status = step.update(b - a, lrs[i], t, 0, 0) || (hogwild && finiteOnce(step.run.avgGrad, step.run.params)) ? StepStatus.ok : StepStatus.notFinite;
        if (status !== StepStatus.ok) {
          failStatus[r] = status;
          failedAt[r] = i;
          continue;
        }
        if (hogwild) {
          stale[2 * w] += Atomics.add(version, 0, 1) - seen;
          stale[2 * w + 1] += 1;
        }
      }
      endMs[i * W + w] = sharedClockMs();
      mathMs[i * W + w] = performance.now() - t0;
    }
  }

  /** Program `program` at parameter p: the rows-weighted replicas' θ and exchanged node sums, added in float64 in the tree's order. */
  private evaluate(program: Int32Array, p: number): number {
    const { stack, thetas, nodeSums } = this;
    const { weights } = this.tables;
    let sp = 0;
    for (let k = 0; k < program.length; k++) {
      const op = program[k];
      if (op >= 0) stack[sp++] = weights[op] * thetas[op][p];
      else if (op === -1) {
        sp--;
        stack[sp - 1] += stack[sp];
      } else stack[sp++] = nodeSums[-2 - op][p];
    }
    return stack[0];
  }

  /** Across ranks, before the exchange: over parameters [p0, p1), this rank's nodes of the replica tree, in float64, into its block. */
  nodes(p0: number, p1: number): void {
    for (const { node, program } of this.own) {
      const out = this.nodeSums[node];
      for (let p = p0; p < p1; p++) out[p] = this.evaluate(program, p);
    }
  }

  /**
   * The average over parameters [p0, p1): per parameter, the rows-weighted sum of the replicas' θ
   * through the canonical pairwise tree over the replicas (across ranks: its top, over the
   * exchanged node sums), in float64, over the total rows. Plain: θ ← avg. DiLoCo (outer
   * Nesterov, lr η, momentum μ): Δ = θ − avg, m ← μm + Δ, θ ← θ − η(Δ + μm). Then every replica's
   * θ ← θ. Per parameter, so the bits depend on no slice boundary and no placement.
   */
  average(p0: number, p1: number): void {
    const { program, thetas, params, momentum } = this;
    const N = this.tables.weights[thetas.length];
    const sync = this.layout.local.sync;
    const outer = sync.kind === 'local' ? sync.outer : undefined;
    for (let p = p0; p < p1; p++) {
      const avg = this.evaluate(program, p) / N;
      if (outer && momentum) {
        const delta = params[p] - avg;
        momentum[p] = outer.momentum * momentum[p] + delta;
        params[p] = params[p] - outer.lr * (delta + outer.momentum * momentum[p]);
      } else params[p] = avg;
      const next = params[p];
      for (let r = 0; r < thetas.length; r++) thetas[r][p] = next;
    }
  }
}
