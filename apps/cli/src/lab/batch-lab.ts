import {
  ExitCode,
  fitStepsExamples,
  isShardgradError,
  NoiseProbe,
  withWarmupAndScale,
  type MLPSpec,
  type OptimizerConfig,
  type Preprocess,
  type StepsExamplesFit,
} from '@shardgrad/core';
import { scaledInputs, Trainer, type Dataset, type KernelChoice, type TrainConfig } from '@shardgrad/coordinator';
import { shardBound } from '@shardgrad/worker';

/**
 * The batch-size lab (`shardgrad lab batch`): ordinary training runs — each one the run `shardgrad
 * train` makes with the same settings, stopped after the step that reaches the target — over a
 * range of batch sizes, the steps–examples fit of McCandlish et al. 2018, and the noise scale of
 * the models at the target. Orchestration only: the math is core's (fitStepsExamples, NoiseProbe).
 */
export interface LabSettings {
  readonly data: Dataset;
  readonly spec: MLPSpec;
  readonly optimizer: OptimizerConfig;
  readonly preprocess: Preprocess['kind'];
  readonly batches: readonly number[];
  /**
   * η₀: the smallest batch tries {η₀/2, η₀, 2η₀}, each next batch size {η*, √2·η*, 2η*} with η* the
   * previous best (the best rate does not fall as the batch grows); a grid grows at its edge (2×, or ½
   * at the smallest batch) while the best rate sits on that edge, at most MAX_GRID_EXTENSIONS times
   */
  readonly lr: number;
  readonly targetLoss: number;
  /** the training loss is the mean of the minibatch losses over the last `window` examples */
  readonly window: number;
  /** a run may take maxEpochs epochs, or MIN_RUN_STEPS steps where those are more */
  readonly maxEpochs: number;
  readonly shards: number;
  readonly seed: number;
  readonly kernel: KernelChoice;
  readonly workers: (batch: number) => number;
  /** linear warmup length of the linear-scaling runs, in examples (⌈W/B⌉ steps) */
  readonly warmupExamples: number;
  /** B_simple at the target: this many batches of `noiseBatch` training rows, each cut into `noiseShards` groups */
  readonly noiseBatch: number;
  readonly noiseBatches: number;
  readonly noiseShards: number;
}

/** The fewest steps a run may take before it counts as not reaching the target (large batches have few steps an epoch). */
export const MIN_RUN_STEPS = 150;

export type Outcome = 'reached' | 'not reached' | 'diverged' | 'slower';

export interface LabRun {
  readonly batch: number;
  readonly lr: number;
  readonly warmupSteps: number;
  readonly outcome: Outcome;
  /** steps S to the target (reached: the middle of the loss window that reached it), else the steps taken */
  readonly steps: number;
  /** E = B·S (the epoch's short last batch counted as full) */
  readonly examples: number;
  /** the step the run was stopped after; its parameters are those `shardgrad train` has after that step */
  readonly stoppedAt: number;
  /** the minibatch loss of step stoppedAt (the number `shardgrad train --json` prints for that step) */
  readonly lastLoss: number;
}

export interface BatchResult {
  readonly batch: number;
  /** the fastest run to the target, if any reached it */
  readonly best?: LabRun;
  readonly runs: readonly LabRun[];
  /** the noise scale of the best run's model at the target */
  readonly noise?: { readonly gradSq: number; readonly traceSigma: number; readonly bSimple: number };
}

export interface LabReport {
  readonly results: readonly BatchResult[];
  readonly fit: StepsExamplesFit;
  /** mean tr(Σ) / mean |G|² over the best models at the target */
  readonly bSimple: number;
  /** B_simple of one batch size's best settings, stopped at looser targets on the way down */
  readonly noiseVsLoss: readonly { readonly batch: number; readonly targetLoss: number; readonly steps: number; readonly bSimple: number }[];
  /** η ∝ B from the smallest batch's best rate, without and with warmup */
  readonly linear: readonly { readonly batch: number; readonly lr: number; readonly plain: LabRun; readonly warmup: LabRun }[];
}

/**
 * The training loss: the mean of the per-step minibatch losses over the last `window` examples (at
 * least the last step). A trailing mean describes the middle of its window, so a run is said to
 * reach the target at the window's middle step: t − ⌊(k − 1)/2⌋ for a window of k steps ending at t
 * (without this a batch of 8 would be charged ~W/2 examples of lag, a batch of 4096 none).
 */
class SmoothedLoss {
  private readonly losses: number[] = [];
  private readonly rows: number[] = [];
  /** steps in the last window */
  steps = 0;
  constructor(private readonly window: number) {}
  add(loss: number, rows: number): number {
    this.losses.push(loss * rows);
    this.rows.push(rows);
    let sum = 0;
    let n = 0;
    let k = 0;
    for (let i = this.losses.length - 1; i >= 0 && n < this.window; i--, k++) {
      sum += this.losses[i];
      n += this.rows[i];
    }
    this.steps = k;
    if (this.losses.length > 2 * k + 4) {
      this.losses.shift();
      this.rows.shift();
    }
    return sum / n;
  }
  /** the step the window's mean stands for, when the window ends at step t */
  middle(t: number): number {
    return t - Math.floor((this.steps - 1) / 2);
  }
}

interface RunOutput {
  readonly run: LabRun;
  readonly params?: Float32Array;
  readonly preprocess?: Preprocess;
}

/** The TrainConfig of `shardgrad train --batch B --lr η [--lr-warmup W] --epochs maxEpochs …` (val-split 0). */
export function labConfig(s: LabSettings, batch: number, lr: number, warmupSteps: number): TrainConfig {
  return {
    data: s.data,
    spec: s.spec,
    optimizer: s.optimizer,
    lr,
    schedule: withWarmupAndScale({ kind: 'constant' }, warmupSteps, 'none', undefined, batch),
    batch,
    epochs: Math.max(s.maxEpochs, Math.ceil((MIN_RUN_STEPS * batch) / s.data.trainRows.length)),
    workers: s.workers(batch),
    shards: s.shards,
    seed: s.seed,
    init: 'glorot',
    valSplit: 0,
    preprocess: s.preprocess,
    kernel: s.kernel,
  };
}

/** One ordinary run, stopped after the step whose smoothed loss reaches `target`, or past `stepLimit`. */
async function runTo(s: LabSettings, batch: number, lr: number, warmupSteps: number, target: number, stepLimit: number): Promise<RunOutput> {
  const trainer = new Trainer(labConfig(s, batch, lr, warmupSteps));
  const smoothed = new SmoothedLoss(s.window);
  let reachedAt: number | undefined;
  let slower = false;
  let stoppedAt = 0;
  let lastLoss = NaN;
  trainer.on((e) => {
    if (e.type !== 'step' || reachedAt !== undefined || slower) return;
    stoppedAt = e.step;
    lastLoss = e.loss;
    const loss = smoothed.add(e.loss, e.batchSize);
    if (loss <= target) {
      reachedAt = smoothed.middle(e.step);
      trainer.requestStop('SIGINT');
    } else if (smoothed.middle(e.step) >= stepLimit) {
      slower = true;
      trainer.requestStop('SIGINT');
    }
  });
  const base = { batch, lr, warmupSteps };
  try {
    const result = await trainer.run();
    const outcome: Outcome = reachedAt !== undefined ? 'reached' : slower ? 'slower' : 'not reached';
    const steps = reachedAt ?? smoothed.middle(stoppedAt);
    return { run: { ...base, outcome, steps, examples: steps * batch, stoppedAt, lastLoss }, params: result.params, preprocess: result.preprocess };
  } catch (e) {
    // a diverging run is a result here (too large a rate), not a failure of the lab
    if (isShardgradError(e) && e.exitCode === ExitCode.trainingFailed) return { run: { ...base, outcome: 'diverged', steps: stoppedAt, examples: stoppedAt * batch, stoppedAt, lastLoss } };
    throw e;
  }
}

/** B_simple of a model on the first noiseBatches·noiseBatch training rows, as `shardgrad noise` computes it. */
function noiseAt(s: LabSettings, params: Float32Array, preprocess: Preprocess): { gradSq: number; traceSigma: number; bSimple: number } {
  const X = scaledInputs(preprocess, s.data.X, s.data.inputs);
  const B = Math.min(s.noiseBatch, s.data.trainRows.length);
  const n = Math.max(1, Math.min(s.noiseBatches, Math.floor(s.data.trainRows.length / B)));
  const V = Math.min(s.noiseShards, B);
  const probe = new NoiseProbe(s.spec, params, V);
  let gradSq = 0;
  let traceSigma = 0;
  for (let k = 0; k < n; k++) {
    const bounds = Array.from({ length: V + 1 }, (_, v) => shardBound(k * B, (k + 1) * B, V, v));
    const e = probe.measure(X, s.data.Y, s.data.trainRows, bounds);
    gradSq += e.gradSq / n;
    traceSigma += e.traceSigma / n;
  }
  return { gradSq, traceSigma, bSimple: traceSigma / gradSq };
}

/** How many times a rate grid may grow at its edge. */
const MAX_GRID_EXTENSIONS = 4;

/** What the lab is doing, for a progress line. */
export type LabProgress = (what: string, run?: LabRun) => void;

export async function runBatchLab(s: LabSettings, progress: LabProgress = () => {}): Promise<LabReport> {
  const results: BatchResult[] = [];
  const budget = Number.MAX_SAFE_INTEGER;
  let previousBest: number | undefined;
  for (const [i, batch] of s.batches.entries()) {
    // the rate grid: {η₀/2, η₀, 2η₀} at the smallest batch, then {η*, √2·η*, 2η*} from the previous best η*
    const center = previousBest ?? s.lr;
    const grid = previousBest === undefined ? [center, center / 2, center * 2] : [center * Math.SQRT2, center, center * 2];
    const runs: LabRun[] = [];
    let best: RunOutput | undefined;
    const tryRate = async (lr: number) => {
      progress(`batch ${batch} (${i + 1}/${s.batches.length}), lr ${fmtLr(lr)}`);
      const out = await runTo(s, batch, lr, 0, s.targetLoss, best ? best.run.steps : budget);
      runs.push(out.run);
      progress('', out.run);
      if (out.run.outcome === 'reached' && (!best || out.run.steps < best.run.steps)) best = out;
    };
    for (const lr of grid) await tryRate(lr);
    // the grid grows at an edge while the best rate sits on it (up by 2×; down by ½ only at the smallest batch)
    for (let extra = 0; extra < MAX_GRID_EXTENSIONS && best; extra++) {
      const rates = runs.map((r) => r.lr);
      const top = Math.max(...rates);
      const bottom = Math.min(...rates);
      const bestLr: number = (best as RunOutput).run.lr;
      if (bestLr === top) await tryRate(top * 2);
      else if (bestLr === bottom && previousBest === undefined) await tryRate(bottom / 2);
      else break;
    }
    runs.sort((a, b) => a.lr - b.lr);
    if (best?.params && best.preprocess) {
      previousBest = best.run.lr;
      progress(`batch ${batch}: B_simple of the model at the target`);
      results.push({ batch, best: best.run, runs, noise: noiseAt(s, best.params, best.preprocess) });
    } else results.push({ batch, runs });
  }
  const reached = results.filter((r) => r.best);
  const fit = fitStepsExamples(reached.map((r) => ({ batch: r.batch, steps: r.best!.steps })));
  const withNoise = reached.filter((r) => r.noise && Number.isFinite(r.noise.gradSq));
  const bSimple = withNoise.reduce((a, r) => a + r.noise!.traceSigma, 0) / withNoise.reduce((a, r) => a + r.noise!.gradSq, 0);

  // B_simple as the loss falls: the middle batch size's best settings, stopped at looser targets
  const noiseVsLoss: LabReport['noiseVsLoss'][number][] = [];
  const middle = reached[Math.floor(reached.length / 2)];
  if (middle?.best) {
    for (const factor of [4, 2]) {
      const target = s.targetLoss * factor;
      progress(`B_simple at loss ${target} (batch ${middle.batch})`);
      const out = await runTo(s, middle.batch, middle.best.lr, 0, target, budget);
      if (out.run.outcome === 'reached' && out.params && out.preprocess) noiseVsLoss.push({ batch: middle.batch, targetLoss: target, steps: out.run.steps, bSimple: noiseAt(s, out.params, out.preprocess).bSimple });
    }
    noiseVsLoss.push({ batch: middle.batch, targetLoss: s.targetLoss, steps: middle.best.steps, bSimple: middle.noise!.bSimple });
  }

  // the linear scaling rule, η = η_small·B/B_small, without and with warmup; a run may take 3× the tuned steps
  const linear: LabReport['linear'][number][] = [];
  const small = reached[0];
  if (small?.best) {
    for (const r of results) {
      const lr = (small.best.lr * r.batch) / small.batch;
      const limit = r.best ? 3 * r.best.steps : budget;
      const warmupSteps = Math.ceil(s.warmupExamples / r.batch);
      progress(`linear scaling: batch ${r.batch}, lr ${fmtLr(lr)}`);
      const plain = (await runTo(s, r.batch, lr, 0, s.targetLoss, limit)).run;
      progress('', plain);
      const warm = (await runTo(s, r.batch, lr, warmupSteps, s.targetLoss, limit)).run;
      progress('', warm);
      linear.push({ batch: r.batch, lr, plain, warmup: warm });
    }
  }
  return { results, fit, bSimple, noiseVsLoss, linear };
}

export const fmtLr = (x: number): string => String(Number(x.toPrecision(3)));
