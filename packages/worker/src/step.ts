import {
  accumulateGradient,
  bindGradient,
  bindParams,
  createWorkspace,
  layerViews,
  optimizerStep,
  paramLayout,
  type Kernels,
  type LayerViews,
  type MLPSpec,
  type OptimizerConfig,
  type Workspace,
} from '@shardgrad/core';

/**
 * The shared memory of one training run, created once by the coordinator (or the web page) and
 * viewed, never copied, by every worker. Shape letters: N rows, D inputs, C outputs,
 * P parameters, V virtual shards, B batch size.
 */
export interface SharedTrainingBuffers {
  /** X: (N, D) inputs of the whole dataset */
  readonly X: Float32Array;
  /** Y: (N, C) targets of the whole dataset */
  readonly Y: Float32Array;
  /** the epoch's sample order; a batch is a contiguous range of it */
  readonly order: Uint32Array;
  /** θ: (P) the parameters */
  readonly params: Float32Array;
  /** G: (V, P) summed gradient of each virtual shard, G[s] at s·P */
  readonly shardGrads: Float32Array;
  /** ḡ: (P) the averaged gradient of the last step */
  readonly avgGrad: Float32Array;
  /** (V) summed loss of each virtual shard */
  readonly shardLoss: Float64Array;
  /** optimizer state, stateSlots × P */
  readonly optState: Float32Array;
}

/** Everything a worker keeps between steps: views of the shared buffers and its own scratch. */
export interface WorkerContext {
  readonly spec: MLPSpec;
  readonly P: number;
  readonly V: number;
  readonly buffers: SharedTrainingBuffers;
  readonly kernels: Kernels;
  readonly optimizer: OptimizerConfig;
  /** scratch for forward/backward of up to `capacity` rows, allocated once */
  readonly ws: Workspace<Float32Array>;
  /** one gradient view per virtual shard, made once so a step allocates nothing */
  readonly shardViews: Float32Array[];
  /** the per-layer views of each shard's gradient, made once */
  readonly shardLayerViews: LayerViews<Float32Array>[];
}

/**
 * Builds a worker's context. `capacity` bounds the rows processed at once (a shard larger than it
 * is processed in chunks); the kernels decide where scratch memory lives.
 */
export function createWorkerContext(
  spec: MLPSpec,
  V: number,
  buffers: SharedTrainingBuffers,
  kernels: Kernels,
  optimizer: OptimizerConfig,
  capacity: number,
  allocate?: (n: number) => Float32Array,
): WorkerContext {
  const P = paramLayout(spec.sizes).total;
  const ws = createWorkspace(spec, capacity, allocate);
  bindParams(ws, layerViews(buffers.params, ws.layout));
  const shardViews = Array.from({ length: V }, (_, s) => buffers.shardGrads.subarray(s * P, (s + 1) * P));
  const shardLayerViews = shardViews.map((g) => layerViews(g, ws.layout));
  return { spec, P, V, buffers, kernels, optimizer, ws, shardViews, shardLayerViews };
}

/**
 * Virtual shard s of a batch [start, end) of the epoch order: the batch is cut into V nearly equal
 * contiguous ranges (sizes differ by at most one; shards past the end are empty). Depends only on
 * the batch and V, never on the worker count — the root of bit-identical results.
 */
export function shardRange(start: number, end: number, V: number, s: number): [number, number] {
  return [shardBound(start, end, V, s), shardBound(start, end, V, s + 1)];
}

/**
 * Where virtual shard s of the batch [start, end) begins (s = V gives `end`): shard s is
 * [shardBound(s), shardBound(s + 1)). The allocation-free form of shardRange, for the step loop.
 */
export function shardBound(start: number, end: number, V: number, s: number): number {
  const B = end - start;
  const base = Math.floor(B / V);
  const extra = B % V;
  return start + s * base + Math.min(s, extra);
}

/**
 * Step part 1, for virtual shard s covering order[lo..hi) (normally `shardRange(batch, V, s)`):
 * G[s] = Σ over the shard's samples of ∂L/∂θ (a sum, not a mean), and shardLoss[s] = Σ loss.
 * An empty shard writes zeros.
 */
export function computeShardGradient(ctx: WorkerContext, s: number, lo: number, hi: number): void {
  const { spec, ws, buffers, kernels } = ctx;
  const g = ctx.shardViews[s];
  g.fill(0);
  bindGradient(ws, ctx.shardLayerViews[s]);
  buffers.shardLoss[s] = hi > lo ? accumulateGradient(spec, ws, buffers.X, buffers.Y, buffers.order, lo, hi, kernels) : 0;
}

/**
 * Step part 2, for the parameter slice [p0, p1): ḡ = (G[0] + G[1] + … + G[V−1]) / B in that fixed
 * order — the size-weighted average of the shard means, i.e. exactly the batch's mean gradient —
 * then the optimizer updates θ[p0:p1) and its own slice of the optimizer state.
 * `t` is the 1-based step count, `lr` the step's learning rate.
 */
export function reduceAndUpdate(ctx: WorkerContext, p0: number, p1: number, batchSize: number, lr: number, t: number): void {
  const { V, P, buffers, shardViews } = ctx;
  const avg = buffers.avgGrad;
  const inv = 1 / batchSize;
  for (let i = p0; i < p1; i++) {
    let sum = 0;
    for (let s = 0; s < V; s++) sum += shardViews[s][i];
    avg[i] = sum * inv;
  }
  optimizerStep(ctx.optimizer, buffers.params, avg, buffers.optState, P, p0, p1, lr, t);
}

/** The slice [p0, p1) of P parameters that worker w of W reduces and updates (contiguous, balanced). */
export function paramSlice(P: number, W: number, w: number): [number, number] {
  return shardRange(0, P, W, w);
}

/**
 * Whether the averaged gradient and the parameters in [p0, p1) are all finite: the divergence check,
 * done by each worker on its own slice so the coordinator never loops over P.
 */
export function sliceIsFinite(ctx: WorkerContext, p0: number, p1: number): boolean {
  const { avgGrad, params } = ctx.buffers;
  let acc = 0;
  // NaN and ±Inf propagate through the sum (x − x is NaN for both), finite values give 0
  for (let i = p0; i < p1; i++) acc += avgGrad[i] - avgGrad[i] + (params[i] - params[i]);
  return acc === 0;
}
