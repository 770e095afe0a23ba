import { initParams, type Initializer } from '../init/initializers.js';
import { deriveSeed, Rng, shuffleInPlace } from '../init/rng.js';
import { sliceUpdate, type Kernels } from '../kernels/kernels.js';
import { referenceKernels } from '../kernels/reference.js';
import { accumulateGradient } from '../model/backprop.js';
import { evaluate, type Evaluation } from '../model/evaluate.js';
import { specLayout } from '../model/layout.js';
import type { MLPSpec } from '../model/spec.js';
import { bindWorkspace, createWorkspace } from '../model/workspace.js';
import { stateSlots, type OptimizerConfig } from '../optim/optimizers.js';
import { finishSlice } from '../kernels/tree-ops.js';
import { learningRate, type Schedule } from '../optim/schedules.js';

/** Seed streams: one user seed, independent streams for init and for the epoch shuffles. */
export const SEED_STREAM = { init: 1, shuffle: 2, data: 3 } as const;

export interface LocalTrainOptions {
  readonly spec: MLPSpec;
  /** inputs (N, n₀) and targets (N, n_L) of the whole dataset */
  readonly X: Float32Array;
  readonly Y: Float32Array;
  /** the dataset rows to train on */
  readonly train: Uint32Array;
  readonly batch: number;
  readonly epochs: number;
  readonly lr: number;
  readonly optimizer: OptimizerConfig;
  readonly schedule?: Schedule;
  readonly seed: number;
  readonly init?: Initializer;
  readonly kernels?: Kernels;
  /**
   * Where θ, the gradient, the optimizer state and the workspace live: e.g. an arena in the
   * kernels' own memory (loadResidentWasmKernels), so no kernel call copies. Default: plain arrays.
   */
  readonly allocate?: (length: number) => Float32Array;
  /** called after each epoch with the mean training loss of that epoch */
  readonly onEpoch?: (epoch: number, trainLoss: number, params: Float32Array) => void;
}

/**
 * Mini-batch training in one thread, no workers: the plain algorithm the parallel trainer must
 * agree with. Each epoch shuffles the training rows from the seed; each step averages the summed
 * gradient over the batch (the short last batch included) and applies the optimizer to all P.
 */
export function trainLocal(o: LocalTrainOptions): { params: Float32Array; epochLosses: number[] } {
  const kernels = o.kernels ?? referenceKernels;
  const layout = specLayout(o.spec);
  const P = layout.total;
  const allocate = o.allocate ?? ((n: number) => new Float32Array(n));
  const params = allocate(P);
  const grad = allocate(P);
  const state = allocate(stateSlots(o.optimizer.kind) * P);
  initParams(params, layout, o.init ?? 'glorot', deriveSeed(o.seed, SEED_STREAM.init));
  const ws = createWorkspace(o.spec, o.batch, allocate);
  bindWorkspace(ws, params, grad);
  const order = Uint32Array.from(o.train);
  const rng = new Rng(deriveSeed(o.seed, SEED_STREAM.shuffle));
  const schedule = o.schedule ?? { kind: 'constant' };
  // ḡ = g·(1/B) in place, then the optimizer: the engine's slice pass over all of P
  const update = sliceUpdate(o.optimizer, { root: grad, avg: grad, theta: params, state }, P);
  const epochLosses: number[] = [];
  let step = 0;
  for (let e = 0; e < o.epochs; e++) {
    shuffleInPlace(order, rng);
    let lossTotal = 0;
    for (let start = 0; start < order.length; start += o.batch) {
      const end = Math.min(start + o.batch, order.length);
      grad.fill(0);
      lossTotal += accumulateGradient(o.spec, ws, o.X, o.Y, order, start, end, kernels);
      update.inv = 1 / (end - start);
      update.lr = learningRate(schedule, o.lr, step);
      update.t = step + 1;
      finishSlice(kernels, update);
      step++;
    }
    epochLosses.push(lossTotal / order.length);
    o.onEpoch?.(e, lossTotal / order.length, params);
  }
  return { params: Float32Array.from(params), epochLosses };
}

/** The floats trainLocal allocates (for sizing a resident arena): θ, gradient, optimizer state, workspace. */
export function localTrainFloats(spec: MLPSpec, batch: number, optimizer: OptimizerConfig): number {
  const P = specLayout(spec).total;
  let workspace = 0;
  createWorkspace(spec, batch, (n) => {
    workspace += n;
    return new Float32Array(0);
  });
  return (2 + stateSlots(optimizer.kind)) * P + workspace;
}

/** Evaluates flat parameters on the given rows (allocates its own workspace: not for hot paths). */
export function evaluateParams(
  spec: MLPSpec,
  params: Float32Array,
  X: Float32Array,
  Y: Float32Array,
  rows: Uint32Array,
  kernels: Kernels = referenceKernels,
): Evaluation {
  const ws = createWorkspace(spec, 256);
  bindWorkspace(ws, params, new Float32Array(params.length));
  return evaluate(spec, ws, X, Y, rows, rows.length, kernels);
}
