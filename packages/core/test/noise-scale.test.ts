import { describe, expect, it } from 'vitest';
import { fitStepsExamples, fittedSteps, gradientNoiseScale, NOISE_BLOCK, noiseBlockCount, noiseBlockPartials, noiseFromPartials, NoiseScaleEma, Rng } from '../src/index.js';

/** Gaussian from two uniforms (Box–Muller). */
function gauss(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

/** Random group sums S_k (float32) over `rows[k]` rows of per-row gradients μ + σ·noise, and their float32 total. */
function randomBatch(rng: Rng, P: number, rows: number[], mu: Float64Array, sigma: Float64Array): { groups: Float32Array[]; total: Float32Array } {
  const groups = rows.map((b) => {
    const s = new Float64Array(P);
    for (let r = 0; r < b; r++) for (let i = 0; i < P; i++) s[i] += mu[i] + sigma[i] * gauss(rng);
    return Float32Array.from(s);
  });
  const total = new Float32Array(P);
  for (const g of groups) for (let i = 0; i < P; i++) total[i] = Math.fround(total[i] + g[i]);
  return { groups, total };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('gradient noise scale estimator (McCandlish et al. 2018, App. A.1)', () => {
  it('equal groups: the paper’s two formulas, computed here directly in float64', () => {
    const rng = new Rng(7);
    const P = 37;
    const mu = Float64Array.from({ length: P }, () => rng.uniform(-1, 1));
    const sigma = Float64Array.from({ length: P }, () => rng.uniform(0.5, 2));
    const K = 4;
    const b = 5;
    const { groups, total } = randomBatch(rng, P, [b, b, b, b], mu, sigma);
    const B = K * b;
    let GB2 = 0;
    for (let i = 0; i < P; i++) GB2 += (total[i] / B) ** 2;
    let Gb2 = 0;
    for (const g of groups) for (let i = 0; i < P; i++) Gb2 += (g[i] / b) ** 2 / K;
    const gradSq = (B * GB2 - b * Gb2) / (B - b);
    const traceSigma = (Gb2 - GB2) / (1 / b - 1 / B);
    const e = gradientNoiseScale(groups, [b, b, b, b], total, P);
    // (the float32 total differs from Σ S_k by its rounding: 1e-8 relative here)
    expect(rel(e.gradSq, gradSq)).toBeLessThan(1e-6);
    expect(rel(e.traceSigma, traceSigma)).toBeLessThan(1e-6);
    expect(rel(e.bSimple, traceSigma / gradSq)).toBeLessThan(1e-6);
  });

  it('uneven groups: the row-weighted form, from the sums Σ|S_k|²/b_k and |S|² in float64', () => {
    const rng = new Rng(11);
    const P = NOISE_BLOCK + 123; // two blocks
    const mu = Float64Array.from({ length: P }, () => rng.uniform(-0.3, 0.3));
    const sigma = Float64Array.from({ length: P }, () => rng.uniform(0.1, 1));
    const rows = [3, 7, 0, 5, 1];
    const { groups, total } = randomBatch(rng, P, rows, mu, sigma);
    const B = 16;
    const K = 4; // the empty group does not count
    let sumSq = 0; // Σ_k |S_k|² / b_k
    let totalSq = 0;
    for (let i = 0; i < P; i++) {
      totalSq += total[i] * total[i];
      rows.forEach((b, k) => {
        if (b) sumSq += (groups[k][i] * groups[k][i]) / b;
      });
    }
    const bMean = B / K;
    const Gb2 = sumSq / B;
    const GB2 = totalSq / (B * B);
    const gradSq = (B * GB2 - bMean * Gb2) / (B - bMean);
    const traceSigma = (Gb2 - GB2) / (1 / bMean - 1 / B);
    const e = gradientNoiseScale(groups, rows, total, P);
    expect(rel(e.gradSq, gradSq)).toBeLessThan(1e-5);
    expect(rel(e.traceSigma, traceSigma)).toBeLessThan(1e-5);
  });

  it('uneven groups are weighted so that the estimates are unbiased (|μ|² and Σσ² over 3000 batches)', () => {
    const rng = new Rng(3);
    const P = 6;
    const mu = Float64Array.from([0.5, -0.25, 0.125, 0, 0.3, -0.1]);
    const sigma = Float64Array.from([1, 0.5, 2, 1, 0.25, 1.5]);
    const trueGradSq = mu.reduce((s, m) => s + m * m, 0); // 0.4625
    const trueTrace = sigma.reduce((s, x) => s + x * x, 0); // 8.5625
    const rows = [1, 2, 9, 4]; // very uneven
    let gradSq = 0;
    let trace = 0;
    const N = 3000;
    for (let n = 0; n < N; n++) {
      const { groups, total } = randomBatch(rng, P, rows, mu, sigma);
      const e = gradientNoiseScale(groups, rows, total, P);
      gradSq += e.gradSq / N;
      trace += e.traceSigma / N;
    }
    // standard errors here: about 0.012 for |G|² and 0.13 for tr(Σ)
    expect(Math.abs(gradSq - trueGradSq)).toBeLessThan(0.04);
    expect(Math.abs(trace - trueTrace)).toBeLessThan(0.4);
  });

  it('the same bits whichever blocks are computed together (slicing among workers)', () => {
    const rng = new Rng(5);
    const P = 3 * NOISE_BLOCK + 17;
    const mu = Float64Array.from({ length: P }, () => rng.uniform(-1, 1));
    const sigma = Float64Array.from({ length: P }, () => 1);
    const rows = [4, 4, 3];
    const { groups, total } = randomBatch(rng, P, rows, mu, sigma);
    const blocks = noiseBlockCount(P);
    expect(blocks).toBe(4);
    const whole = gradientNoiseScale(groups, rows, total, P);
    for (const cuts of [[0, 1, 4], [0, 2, 3, 4], [0, 1, 2, 3, 4]]) {
      const partials = new Float64Array(2 * blocks);
      for (let w = 0; w + 1 < cuts.length; w++) noiseBlockPartials(groups, rows, total, P, cuts[w], cuts[w + 1], partials);
      const e = noiseFromPartials(partials, blocks, 11, 3);
      expect(e.gradSq).toBe(whole.gradSq);
      expect(e.traceSigma).toBe(whole.traceSigma);
    }
  });

  it('fewer than two groups with rows: no estimate', () => {
    const g = Float32Array.from([1, 2]);
    expect(gradientNoiseScale([g, new Float32Array(2)], [3, 0], g, 2).bSimple).toBeNaN();
  });

  it('EMA of numerator and denominator separately, bias-corrected (hand-worked, decay 0.5)', () => {
    const ema = new NoiseScaleEma(0.5);
    expect(ema.value().bSimple).toBeNaN();
    let v = ema.update({ gradSq: 2, traceSigma: 4, bSimple: 2 });
    expect(v.gradSq).toBeCloseTo(2, 14);
    expect(v.traceSigma).toBeCloseTo(4, 14);
    v = ema.update({ gradSq: NaN, traceSigma: 1, bSimple: NaN }); // skipped
    expect(ema.count).toBe(1);
    v = ema.update({ gradSq: 4, traceSigma: 4, bSimple: 1 });
    // averages 0.5·1 + 0.5·4 = 2.5 and 0.5·2 + 0.5·4 = 3, weight 1 − 0.25 = 0.75
    expect(v.gradSq).toBeCloseTo(10 / 3, 14);
    expect(v.traceSigma).toBeCloseTo(4, 14);
    expect(v.bSimple).toBeCloseTo(1.2, 14);
  });
});

describe('steps–examples fit (S/S_min − 1)(E/E_min − 1) = 1', () => {
  it('points on S = 100 + 6400/B give S_min 100, E_min 6400, B_crit 64', () => {
    const f = fitStepsExamples([8, 64, 512, 4096].map((batch) => ({ batch, steps: 100 + 6400 / batch })));
    expect(f.sMin).toBeCloseTo(100, 9);
    expect(f.eMin).toBeCloseTo(6400, 6);
    expect(f.bCrit).toBeCloseTo(64, 9);
    // and every point lies on the hyperbola: at B = 8, S = 900, E = 7200: (9 − 1)(1.125 − 1) = 1
    expect((fittedSteps(f, 8) / f.sMin - 1) * ((8 * fittedSteps(f, 8)) / f.eMin - 1)).toBeCloseTo(1, 9);
  });
  it('two points are solved exactly: (B 10, S 50), (B 100, S 14) → S_min 10, E_min 400', () => {
    // 50 = a + c/10, 14 = a + c/100 → c = 36·100/9 = 400, a = 10
    const f = fitStepsExamples([{ batch: 10, steps: 50 }, { batch: 100, steps: 14 }]);
    expect(f.sMin).toBeCloseTo(10, 9);
    expect(f.eMin).toBeCloseTo(400, 7);
    expect(f.bCrit).toBeCloseTo(40, 9);
  });
  it('steps that do not fall with the batch have no B_crit', () => {
    expect(fitStepsExamples([{ batch: 8, steps: 10 }, { batch: 16, steps: 12 }]).bCrit).toBeNaN();
    expect(fitStepsExamples([{ batch: 8, steps: 10 }]).bCrit).toBeNaN();
  });
});
