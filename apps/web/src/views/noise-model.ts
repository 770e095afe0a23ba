/**
 * What the noise chart says about the current batch size B against the smoothed B_simple
 * (McCandlish et al. 2018: B_crit ≈ B_simple; below it a batch's examples all count, above it
 * more examples barely cut the steps). "Well below/above" is a factor of 2.
 */
export function batchReading(B: number, bSimple: number): string {
  if (!(Number.isFinite(bSimple) && bSimple > 0)) return `batch B = ${B}; B_simple: not measured yet (it needs a few steps)`;
  const head = `B_simple ≈ ${bSimple >= 10 ? Math.round(bSimple) : bSimple.toPrecision(2)}, batch B = ${B} (B / B_simple = ${(B / bSimple).toPrecision(2)}): `;
  if (B < bSimple / 2) return head + 'well below B_simple — every example counts; a larger batch would cut the steps nearly in proportion.';
  if (B > 2 * bSimple) return head + 'well above B_simple — a larger batch barely cuts the steps; most of the extra examples are wasted.';
  return head + 'near B_simple — about the critical batch size, the balance of steps and examples.';
}

/** The batch slider's positions: powers of two 1 … 1024. */
export const BATCH_STEPS = 10;

/** The slider position (log₂, rounded) of batch size B. */
export const batchPosition = (B: number): number => Math.max(0, Math.min(BATCH_STEPS, Math.round(Math.log2(Math.max(1, B)))));
