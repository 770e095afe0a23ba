import { noiseBlockCount, noiseBlockPartials, noiseFromPartials, type NoiseEstimate } from '@shardgrad/core';
import { shardBound, splitPoint, type TreePlan } from '@shardgrad/worker';

/**
 * The two halves at the top of the reduction tree — the root's children [0, mid) and [mid, V),
 * each a sum over its shards' rows — evaluated from the workers' published subtree sums in the
 * tree's own order (float32 adds, as the engine's top does), and the gradient noise estimate of
 * those 2 groups (core's estimator). The page's stand-in while step events carry no `noise` of the
 * engine's own. Buffers are made once; `capture` runs between a step's phases (before the top of
 * the tree overwrites the published buffers), `estimate` after the step, when its batch size is known.
 * Shape letters: P parameters, V virtual shards.
 */
export class TreeHalves {
  /** false when the root itself is published (one worker): its halves are never in memory */
  readonly available: boolean;
  private readonly V: number;
  private readonly mid: number;
  private readonly published = new Map<string, Float32Array>();
  private readonly left: Float32Array; // (P) S over shards [0, mid)
  private readonly right: Float32Array; // (P) S over shards [mid, V)
  private readonly total: Float32Array; // (P) their sum, the root
  /** one scratch vector per tree level, for right children being evaluated */
  private readonly scratch: Float32Array[] = [];
  private readonly partials: Float64Array;
  private readonly groupRows = new Float64Array(2);

  constructor(
    plan: TreePlan,
    private readonly P: number,
    partial: (worker: number, slot: number) => Float32Array,
  ) {
    this.V = plan.V;
    plan.workers.forEach((wp, w) => wp.published.forEach((n) => this.published.set(`${n.lo},${n.hi}`, partial(w, n.slot))));
    this.mid = splitPoint(0, plan.V);
    this.available = this.mid > 0 && !this.published.has(`0,${plan.V}`);
    const n = this.available ? P : 0;
    this.left = new Float32Array(n);
    this.right = new Float32Array(n);
    this.total = new Float32Array(n);
    this.partials = new Float64Array(2 * noiseBlockCount(P));
  }

  /** Between the phases of a step: the two halves from the published buffers. */
  capture(): void {
    if (!this.available) return;
    this.evaluate(0, this.mid, this.left, 0);
    this.evaluate(this.mid, this.V, this.right, 0);
  }

  /**
   * After the step of B rows: |G|², tr(Σ) and B_simple of its 2 halves (NaN when there are none,
   * or when a half had no rows).
   */
  estimate(B: number): NoiseEstimate {
    if (!this.available) return { gradSq: NaN, traceSigma: NaN, bSimple: NaN };
    const { P, left, right, total } = this;
    for (let i = 0; i < P; i++) total[i] = Math.fround(left[i] + right[i]);
    const rowsLeft = shardBound(0, B, this.V, this.mid); // the first row of shard mid
    this.groupRows[0] = rowsLeft;
    this.groupRows[1] = B - rowsLeft;
    const blocks = noiseBlockCount(P);
    noiseBlockPartials([left, right], this.groupRows, total, P, 0, blocks, this.partials);
    return noiseFromPartials(this.partials, blocks, B, (rowsLeft > 0 ? 1 : 0) + (B - rowsLeft > 0 ? 1 : 0));
  }

  /** Node [lo, hi) into `out`: a published buffer, or its children added (left + right, float32). */
  private evaluate(lo: number, hi: number, out: Float32Array, depth: number): void {
    const own = this.published.get(`${lo},${hi}`);
    if (own) {
      out.set(own);
      return;
    }
    const mid = splitPoint(lo, hi);
    if (mid < 0) throw new Error(`no published sum holds shard ${lo}`);
    this.evaluate(lo, mid, out, depth + 1);
    const tmp = (this.scratch[depth] ??= new Float32Array(this.P));
    this.evaluate(mid, hi, tmp, depth + 1);
    for (let i = 0; i < this.P; i++) out[i] = Math.fround(out[i] + tmp[i]);
  }
}
