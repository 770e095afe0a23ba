import type { ParamLayout } from '@shardgrad/core';
import type { StepSnapshot } from '../training/session.js';
import type { WorkerPlan } from '../training/shard-plan.js';

/** One worker's part of a step, for the chosen layer's weights W^l (nIn × nOut, row-major). */
export interface WorkerGradient {
  readonly worker: number;
  /** virtual shards it computed and the samples in them */
  readonly shards: readonly number[];
  readonly samples: number;
  /** its share of the batch, n_w / B */
  readonly weight: number;
  /** the mean gradient over its samples: its summed gradient G_w / n_w (zeros if it had none) */
  readonly mean: Float32Array;
}

export interface GradientPanel {
  readonly layer: number;
  readonly rows: number;
  readonly cols: number;
  readonly workers: readonly WorkerGradient[];
  /** Σ_w (n_w / B) · mean_w, the size-weighted average of the workers' mean gradients */
  readonly average: Float32Array;
  /** ḡ as the workers' reduction wrote it */
  readonly reduced: Float32Array;
  /** max |average − ḡ|: zero up to float rounding, the point of the picture */
  readonly deviation: number;
  /** Δθ = θ_after − θ_before (for SGD that is −η·ḡ) */
  readonly update: Float32Array;
  readonly t: number;
  readonly batchSize: number;
}

/**
 * What the averaging panel shows for weight layer `layer` of one step's snapshot: each worker's
 * mean shard gradient and share, their size-weighted average, the reduced ḡ and the update.
 */
export function gradientPanel(snap: StepSnapshot, plan: readonly WorkerPlan[], layout: ParamLayout, layer: number): GradientPanel {
  const slot = layout.layers[layer];
  const n = slot.nIn * slot.nOut;
  const P = layout.total;
  const B = snap.batchSize;
  const average = new Float32Array(n);
  const workers = plan.map((p, w): WorkerGradient => {
    const shards: number[] = [];
    let samples = 0;
    const mean = new Float32Array(n);
    for (let s = p.s0; s < p.s1; s++) {
      shards.push(s);
      samples += snap.shardSizes[s];
    }
    const base = w * P + slot.w;
    for (let i = 0; i < n; i++) mean[i] = snap.workerGrads[base + i];
    if (samples > 0) for (let i = 0; i < n; i++) mean[i] /= samples;
    const weight = B > 0 ? samples / B : 0;
    for (let i = 0; i < n; i++) average[i] += weight * mean[i];
    return { worker: w, shards, samples, weight, mean };
  });
  const reduced = snap.avgGrad.slice(slot.w, slot.w + n);
  const update = new Float32Array(n);
  let deviation = 0;
  for (let i = 0; i < n; i++) {
    update[i] = snap.params[slot.w + i] - snap.before[slot.w + i];
    deviation = Math.max(deviation, Math.abs(average[i] - reduced[i]));
  }
  return { layer, rows: slot.nIn, cols: slot.nOut, workers, average, reduced, deviation, update, t: snap.t, batchSize: B };
}
