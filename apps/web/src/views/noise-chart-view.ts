import { chartFrame } from './chart-frame.js';
import type { SeriesHistory } from './series-history.js';

/** The y range of a log chart: the positive finite values of the series, widened to at least one decade. */
export function logRange(series: readonly SeriesHistory[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) for (const y of s.ys) if (Number.isFinite(y) && y > 0) ((lo = Math.min(lo, y)), (hi = Math.max(hi, y)));
  if (lo === Infinity) return [1, 10];
  const mid = Math.sqrt(lo * hi);
  return hi / lo < 10 ? [mid / Math.sqrt(10), mid * Math.sqrt(10)] : [lo, hi];
}

/**
 * The smoothed gradient noise scale B_simple (green) against the step on a log scale, with the batch
 * size of each step (grey steps). Non-positive estimates (|G|²_est can come out negative early on)
 * are left out. The canvas's data-points says how many points the B_simple line has, data-last its last value.
 */
export function drawNoiseChart(canvas: HTMLCanvasElement, bSimple: SeriesHistory, batch: SeriesHistory): void {
  const frame = chartFrame(canvas);
  if (!frame) return;
  const { ctx, w, h, pad } = frame;
  const [lo, hi] = logRange([bSimple, batch]);
  const xMax = Math.max(1, bSimple.xs[bSimple.length - 1] ?? 1, batch.xs[batch.length - 1] ?? 1);
  const px = (x: number) => pad.l + (x / xMax) * (w - pad.l - pad.r);
  const py = (y: number) => pad.t + (Math.log(hi / y) / Math.log(hi / lo)) * (h - pad.t - pad.b);
  // gridlines at the powers of ten (and 2, 5 between them when there is room)
  ctx.strokeStyle = '#e3e3e3';
  ctx.fillStyle = '#555';
  ctx.lineWidth = 1;
  const decades = Math.log10(hi / lo);
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of decades < 3 ? [1, 2, 5] : [1]) {
      const v = m * 10 ** e;
      if (v < lo || v > hi) continue;
      ctx.beginPath();
      ctx.moveTo(pad.l, py(v));
      ctx.lineTo(w - pad.r, py(v));
      ctx.stroke();
      ctx.fillText(v >= 1 ? String(v) : v.toPrecision(1), 2, py(v) + 4);
    }
  }
  ctx.fillText(`step ${Math.round(xMax)}`, w - 70, h - 5);
  canvas.dataset.step = String(Math.round(xMax));
  let points = 0;
  for (const [s, colour, stepped] of [
    [batch, '#8a8a8a', true],
    [bSimple, '#1b9e77', false],
  ] as const) {
    ctx.beginPath();
    let started = false;
    for (let i = 0; i < s.length; i++) {
      const y = s.ys[i];
      if (!(Number.isFinite(y) && y > 0)) {
        started = false;
        continue;
      }
      if (!stepped) points++;
      if (!started) ctx.moveTo(px(s.xs[i]), py(y));
      else {
        if (stepped) ctx.lineTo(px(s.xs[i]), py(s.ys[i - 1]));
        ctx.lineTo(px(s.xs[i]), py(y));
      }
      started = true;
    }
    ctx.strokeStyle = colour;
    ctx.lineWidth = stepped ? 1.2 : 1.8;
    ctx.stroke();
  }
  canvas.dataset.points = String(points);
  canvas.dataset.last = String(bSimple.last ?? NaN);
}
