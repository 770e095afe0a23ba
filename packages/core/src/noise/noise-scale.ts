/**
 * The simple gradient noise scale B_simple = tr(Σ) / |G|² (McCandlish, Kaplan, Amodei et al. 2018,
 * "An Empirical Model of Large-Batch Training", arXiv 1812.06162, Appendix A.1), estimated from the
 * gradient sums of K groups of rows of one batch and their total.
 *
 * Names (one batch of B rows cut into K groups; per-row gradient ∇ℓ_r of the per-sample loss):
 *   S_k = Σ_{r ∈ group k} ∇ℓ_r   (P)  group k's gradient sum, over b_k rows
 *   S   = Σ_k S_k                (P)  the batch's gradient sum (the reduction tree's total)
 *   G_k = S_k / b_k,  G_B = S / B       the group's and the batch's mean gradient
 *
 * For rows drawn independently, E|G_b|² = |G|² + tr(Σ)/b. With K equal groups (b = B/K) the paper's
 * unbiased estimators are
 *   |G|²_est   = (B·|G_B|² − b·|G_b|²) / (B − b)
 *   tr(Σ)_est  = (|G_b|² − |G_B|²) / (1/b − 1/B)
 * with |G_b|² the mean of |G_k|² over the groups. Uneven groups are weighted by their rows:
 * |G_b|² := Σ_k b_k·|G_k|² / B has expectation |G|² + K·tr(Σ)/B, so the same two formulas with
 * b = B/K (the mean group size) stay unbiased. Written through the deviations from G_B (which
 * avoids the cancellation of two nearly equal squares), they are
 *   tr(Σ)_est  = Σ_k b_k·|G_k − G_B|² / (K − 1)
 *   |G|²_est   = |G_B|² − tr(Σ)_est / B
 * — with equal groups, b times the groups' sample variance. Empty groups (b_k = 0) do not count;
 * fewer than two groups with rows give no estimate (NaN).
 *
 * Bits: everything is float64, summed in a fixed order that depends only on P — the parameter
 * index is cut into blocks of NOISE_BLOCK; inside a block, index order (and, per index, group
 * order); the block partials are then added in block order. Whoever computes a block (one worker,
 * one MPI rank, or all of them in one call) gets the same partial, so the estimate is bit-identical
 * however the parameters are sliced among workers, provided slices are cut at block boundaries or
 * each block is computed by one owner (noiseBlockPartials takes whole blocks).
 */

/** Parameters per block of the fixed blocking over the parameter index. */
export const NOISE_BLOCK = 1024;

/** One step's estimate. `gradSq` can come out negative on a noisy step (it is unbiased, not positive). */
export interface NoiseEstimate {
  /** |G|²_est, the squared norm of the true gradient of the mean loss */
  readonly gradSq: number;
  /** tr(Σ)_est, the trace of the per-row gradient covariance */
  readonly traceSigma: number;
  /** traceSigma / gradSq */
  readonly bSimple: number;
}

/** A group's gradient sum, or the total: P floats in the flat parameter order. */
export type GradientSums = ArrayLike<number>;

/** Partials per block: 2 floats a block — [Σ_i G_B[i]², Σ_i Σ_k b_k (G_k[i] − G_B[i])²]. */
export function noiseBlockCount(P: number): number {
  return Math.ceil(P / NOISE_BLOCK);
}

/** The blocks [b0, b1) of a parameter slice [p0, p1) cut at block boundaries (its end may be P); none for an empty slice. */
export function noiseBlocksOf(p0: number, p1: number): [number, number] {
  return p0 === p1 ? [0, 0] : [Math.floor(p0 / NOISE_BLOCK), Math.ceil(p1 / NOISE_BLOCK)];
}

/**
 * Writes the partials of blocks [firstBlock, endBlock) into partials[2·block], partials[2·block+1]
 * (partials: 2·noiseBlockCount(P) float64s, the caller's). groups[k] holds S_k over b_k = groupRows[k]
 * rows; total holds S over B = Σ b_k rows. Allocates nothing. Inside a block: G_B[i] = S[i]/B in index
 * order, then group by group b_k·Σ_i (S_k[i]·(1/b_k) − G_B[i])² in index order, added in group order.
 * Cost: K + 1 reads per parameter (16 groups over 784-128-10's 101 770 parameters: 6 ms a call in V8,
 * measured on the 2-core development machine at load average 13).
 */
export function noiseBlockPartials(
  groups: readonly GradientSums[],
  groupRows: ArrayLike<number>,
  total: GradientSums,
  P: number,
  firstBlock: number,
  endBlock: number,
  partials: Float64Array,
): void {
  const K = groups.length;
  let B = 0;
  for (let k = 0; k < K; k++) B += groupRows[k];
  const gB = BLOCK_MEAN; // (NOISE_BLOCK) G_B over the block
  for (let blk = firstBlock; blk < endBlock; blk++) {
    const lo = blk * NOISE_BLOCK;
    const n = Math.min(lo + NOISE_BLOCK, P) - lo;
    let meanSq = 0; // Σ_i G_B[i]²
    for (let i = 0; i < n; i++) {
      const g = total[lo + i] / B;
      gB[i] = g;
      meanSq += g * g;
    }
    // Σ_k b_k Σ_i (G_k[i] − G_B[i])², group by group (each group's sums read in order)
    let spread = 0;
    for (let k = 0; k < K; k++) {
      const b = groupRows[k];
      if (b === 0) continue;
      const S = groups[k];
      const inv = 1 / b;
      let sq = 0;
      for (let i = 0; i < n; i++) {
        const d = S[lo + i] * inv - gB[i];
        sq += d * d;
      }
      spread += b * sq;
    }
    partials[2 * blk] = meanSq;
    partials[2 * blk + 1] = spread;
  }
}

/**
 * The partials of noiseBlockPartials for K = 2 groups given as the two halves at the top of the
 * reduction tree: S_1 = a over rowsA rows, S_2 = b over rowsB rows. The engine's live estimate:
 * after a step the root's two children are still in their buffers, so this reads two floats a
 * parameter and writes nothing but the partials.
 *
 * With two groups the deviations from the batch mean are multiples of the difference of the two
 * group means v = a/rowsA − b/rowsB: G_1 − G_B = (rowsB/B)·v and G_2 − G_B = −(rowsA/B)·v, so
 *   Σ_k b_k·|G_k − G_B|² = (rowsA·rowsB/B)·|v|²   and   |G_B|² = |a + b|²/B²
 * — two sums of squares, no cancellation (v is formed before it is squared), 10 float64 operations
 * per parameter. Order (the definition of its bits, which the native kernels follow exactly):
 * inside a block, parameter lo + j goes to lane j mod NOISE_LANES; each lane sums u² (u = a + b)
 * and v² (v = a·(1/rowsA) − b·(1/rowsB)), every multiply and add a separate IEEE operation (no
 * fused multiply-add); at the block's end the lanes are added ((0+1)+(2+3))+((4+5)+(6+7)), and
 * partial 2·blk = Σu²·(1/B)·(1/B), partial 2·blk+1 = (rowsA·rowsB·(1/B))·Σv².
 */
export function noiseHalvesPartials(a: Float32Array, b: Float32Array, rowsA: number, rowsB: number, P: number, firstBlock: number, endBlock: number, partials: Float64Array): void {
  const invA = rowsA > 0 ? 1 / rowsA : 0;
  const invB = rowsB > 0 ? 1 / rowsB : 0;
  const invT = 1 / (rowsA + rowsB);
  const weight = rowsA * rowsB * invT;
  const s = LANES; // (2, 8): Σ u², Σ v² per lane
  for (let blk = firstBlock; blk < endBlock; blk++) {
    const lo = blk * NOISE_BLOCK;
    const hi = Math.min(lo + NOISE_BLOCK, P);
    for (let l = 0; l < NOISE_LANES; l++) {
      // lane l: every eighth parameter from lo + l
      let su = 0;
      let sv = 0;
      for (let i = lo + l; i < hi; i += NOISE_LANES) {
        const x = a[i];
        const y = b[i];
        const u = x + y;
        su += u * u;
        const v = x * invA - y * invB;
        sv += v * v;
      }
      s[l] = su;
      s[NOISE_LANES + l] = sv;
    }
    partials[2 * blk] = laneSum(s, 0) * invT * invT;
    partials[2 * blk + 1] = weight * laneSum(s, NOISE_LANES);
  }
}

/** Lanes of noiseHalvesPartials's sums (8 float64s: one AVX-512 register, two AVX2 ones). */
export const NOISE_LANES = 8;
const LANES = new Float64Array(2 * NOISE_LANES);
/** Lanes at..at+7 added pairwise: ((0+1)+(2+3))+((4+5)+(6+7)). */
const laneSum = (s: Float64Array, at: number) => s[at] + s[at + 1] + (s[at + 2] + s[at + 3]) + (s[at + 4] + s[at + 5] + (s[at + 6] + s[at + 7]));

/** Scratch of noiseBlockPartials: one block's G_B (each thread has its own module instance). */
const BLOCK_MEAN = new Float64Array(NOISE_BLOCK);

/**
 * The estimate from all blocks' partials (added in block order) for a batch of B rows in K
 * non-empty groups.
 */
export function noiseFromPartials(partials: Float64Array, blocks: number, B: number, K: number): NoiseEstimate {
  const o = new Float64Array(2);
  noiseFromPartialsInto(partials, blocks, B, K, o, 0);
  return { gradSq: o[0], traceSigma: o[1], bSimple: o[1] / o[0] };
}

/** noiseFromPartials without allocating (an engine's end of step): |G|²_est into out[at], tr(Σ)_est into out[at + 1]. */
export function noiseFromPartialsInto(partials: Float64Array, blocks: number, B: number, K: number, out: Float64Array, at: number): void {
  let meanSq = 0;
  let spread = 0;
  for (let blk = 0; blk < blocks; blk++) {
    meanSq += partials[2 * blk];
    spread += partials[2 * blk + 1];
  }
  if (K < 2) {
    out[at] = NaN;
    out[at + 1] = NaN;
    return;
  }
  const traceSigma = spread / (K - 1);
  out[at] = meanSq - traceSigma / B;
  out[at + 1] = traceSigma;
}

/** The number of groups with at least one row. */
export function nonEmptyGroups(groupRows: ArrayLike<number>): number {
  let K = 0;
  for (let k = 0; k < groupRows.length; k++) if (groupRows[k] > 0) K++;
  return K;
}

/**
 * |G|²_est, tr(Σ)_est and B_simple of one batch from its K group gradient sums (groups[k] over
 * groupRows[k] rows) and their total, over all P parameters, in the fixed blocking above.
 */
export function gradientNoiseScale(groups: readonly GradientSums[], groupRows: ArrayLike<number>, total: GradientSums, P: number): NoiseEstimate {
  if (groups.length !== groupRows.length) throw new Error(`gradientNoiseScale: ${groups.length} groups but ${groupRows.length} group sizes`);
  const blocks = noiseBlockCount(P);
  const partials = new Float64Array(2 * blocks);
  noiseBlockPartials(groups, groupRows, total, P, 0, blocks, partials);
  let B = 0;
  for (let k = 0; k < groupRows.length; k++) B += groupRows[k];
  return noiseFromPartials(partials, blocks, B, nonEmptyGroups(groupRows));
}

/**
 * The per-step estimates are noisy (|G|²_est even changes sign), so, as the paper does, the
 * numerator and the denominator are smoothed separately by exponential moving averages and
 * B_simple is their ratio. Decay NOISE_EMA_DECAY = 0.99 (a memory of about 100 steps); the
 * averages are bias-corrected (divided by 1 − decay^n after n updates, as Adam's moments are) so
 * that the first steps are not pulled toward zero. Estimates that are not finite are skipped.
 */
export const NOISE_EMA_DECAY = 0.99;

/** NoiseScaleEma's state: updates taken, the two averages before bias correction, and 1 − decay^count. */
export interface NoiseEmaState {
  readonly count: number;
  readonly gradSqAvg: number;
  readonly traceAvg: number;
  readonly weight: number;
}

export class NoiseScaleEma {
  /** updates taken */
  count = 0;
  private gradSqAvg = 0;
  private traceAvg = 0;
  private weight = 0; // 1 − decay^count

  constructor(readonly decay: number = NOISE_EMA_DECAY) {
    if (!(decay >= 0 && decay < 1)) throw new Error(`NoiseScaleEma: decay must be in [0, 1), got ${decay}`);
  }

  /** Folds in one step's estimate; returns the smoothed estimate (NaN until the first finite one). */
  update(e: NoiseEstimate): NoiseEstimate {
    if (Number.isFinite(e.gradSq) && Number.isFinite(e.traceSigma)) {
      this.gradSqAvg = this.decay * this.gradSqAvg + (1 - this.decay) * e.gradSq;
      this.traceAvg = this.decay * this.traceAvg + (1 - this.decay) * e.traceSigma;
      this.weight = this.decay * this.weight + (1 - this.decay);
      this.count++;
    }
    return this.value();
  }

  /** The averages, for a checkpoint (a resumed run continues them: the same estimates as a run without the stop). */
  snapshot(): NoiseEmaState {
    return { count: this.count, gradSqAvg: this.gradSqAvg, traceAvg: this.traceAvg, weight: this.weight };
  }

  /** Continues from a snapshot of an EMA with the same decay. */
  restore(s: NoiseEmaState): void {
    this.count = s.count;
    this.gradSqAvg = s.gradSqAvg;
    this.traceAvg = s.traceAvg;
    this.weight = s.weight;
  }

  /** The smoothed |G|², tr(Σ) and their ratio B_simple. */
  value(): NoiseEstimate {
    if (this.count === 0) return { gradSq: NaN, traceSigma: NaN, bSimple: NaN };
    const gradSq = this.gradSqAvg / this.weight;
    const traceSigma = this.traceAvg / this.weight;
    return { gradSq, traceSigma, bSimple: traceSigma / gradSq };
  }
}
