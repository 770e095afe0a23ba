import type { FloatArray } from '../kernels/kernels.js';
import { referenceKernels } from '../kernels/reference.js';
import { accumulateGradient } from '../model/backprop.js';
import type { MLPSpec } from '../model/spec.js';
import { bindGradient, bindParams, createWorkspace64, layerViews, type Workspace } from '../model/workspace.js';
import { gradientNoiseScale, type NoiseEstimate } from './noise-scale.js';

/** One batch's measurement: the estimate, its groups' sizes and the batch's mean loss. */
export interface BatchNoise extends NoiseEstimate {
  readonly groupRows: readonly number[];
  readonly loss: number;
}

/**
 * The gradient noise scale of a model on given rows, as `shardgrad noise` and the batch-size lab
 * measure it: per group, the summed gradient of the per-sample loss in float64 (reference kernels,
 * a float64 copy of θ), the total as the groups' float64 sum in group order, then
 * gradientNoiseScale. A measurement, not a training step: buffers are made once per probe and
 * reused for every batch.
 */
export class NoiseProbe {
  private readonly ws: Workspace<Float64Array>;
  private readonly groups: Float64Array[];
  private readonly total: Float64Array;
  private readonly P: number;

  constructor(
    private readonly spec: MLPSpec,
    params: ArrayLike<number>,
    maxGroups: number,
    capacity = 256,
  ) {
    this.ws = createWorkspace64(spec, capacity);
    this.P = this.ws.layout.total;
    if (params.length !== this.P) throw new Error(`NoiseProbe: ${params.length} parameters for a network of ${this.P}`);
    bindParams(this.ws, layerViews(Float64Array.from(params), this.ws.layout));
    this.groups = Array.from({ length: maxGroups }, () => new Float64Array(this.P));
    this.total = new Float64Array(this.P);
  }

  /**
   * The estimate for the rows order[bounds[0] .. bounds[K]) of X (N, n₀) and Y (N, n_L), group k
   * being order[bounds[k] .. bounds[k+1]).
   */
  measure(X: FloatArray, Y: FloatArray, order: ArrayLike<number>, bounds: readonly number[]): BatchNoise {
    const K = bounds.length - 1;
    if (K > this.groups.length) throw new Error(`NoiseProbe: ${K} groups, made for ${this.groups.length}`);
    const groups = this.groups.slice(0, K);
    const groupRows = groups.map((_, k) => bounds[k + 1] - bounds[k]);
    let loss = 0;
    this.total.fill(0);
    for (let k = 0; k < K; k++) {
      const g = groups[k];
      g.fill(0);
      bindGradient(this.ws, layerViews(g, this.ws.layout));
      loss += accumulateGradient(this.spec, this.ws, X, Y, order, bounds[k], bounds[k + 1], referenceKernels);
      for (let i = 0; i < this.P; i++) this.total[i] += g[i];
    }
    const B = bounds[K] - bounds[0];
    return { ...gradientNoiseScale(groups, groupRows, this.total, this.P), groupRows, loss: B ? loss / B : NaN };
  }
}
