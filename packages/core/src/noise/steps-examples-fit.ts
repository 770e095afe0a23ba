/**
 * The steps–examples trade-off of McCandlish et al. 2018 (eq. 2.11): a run at batch B needs S steps
 * and E = B·S examples to reach a target loss, and
 *   (S/S_min − 1)(E/E_min − 1) = 1,
 * whose solution along B is S = S_min·(1 + B_crit/B), E = E_min·(1 + B/B_crit) with
 * B_crit = E_min/S_min — that is S = S_min + E_min/B, a straight line in 1/B. The fit is least squares
 * on that line with relative residuals ((S − S_min − E_min/B)/S weighted alike for a 10-step run and a
 * 10 000-step one).
 */
export interface StepsExamplesFit {
  readonly sMin: number;
  readonly eMin: number;
  /** E_min / S_min; NaN when the fit has no positive S_min and E_min */
  readonly bCrit: number;
}

export function fitStepsExamples(points: readonly { readonly batch: number; readonly steps: number }[]): StepsExamplesFit {
  let sw = 0;
  let sx = 0;
  let sxx = 0;
  let sy = 0;
  let sxy = 0;
  for (const { batch, steps } of points) {
    const w = 1 / (steps * steps);
    const x = 1 / batch;
    sw += w;
    sx += w * x;
    sxx += w * x * x;
    sy += w * steps;
    sxy += w * x * steps;
  }
  const det = sw * sxx - sx * sx;
  if (points.length < 2 || !(det > 0)) return { sMin: NaN, eMin: NaN, bCrit: NaN };
  const sMin = (sxx * sy - sx * sxy) / det;
  const eMin = (sw * sxy - sx * sy) / det;
  return { sMin, eMin, bCrit: sMin > 0 && eMin > 0 ? eMin / sMin : NaN };
}

/** S on the fitted curve at batch B: S_min·(1 + B_crit/B) = S_min + E_min/B. */
export function fittedSteps(fit: StepsExamplesFit, batch: number): number {
  return fit.sMin + fit.eMin / batch;
}
