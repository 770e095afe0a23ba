import { chartFrame } from './chart-frame.js';
import { yRange, type SeriesHistory } from './series-history.js';

/** Training (orange) and validation (blue) loss against the step, autoscaled. */
export function drawLossChart(canvas: HTMLCanvasElement, train: SeriesHistory, val: SeriesHistory): void {
  const frame = chartFrame(canvas);
  if (!frame) return;
  const { ctx, w, h, pad } = frame;
  const [lo, hi] = yRange([train, val]);
  const xMax = Math.max(1, train.xs[train.length - 1] ?? 1, val.xs[val.length - 1] ?? 1);
  const px = (x: number) => pad.l + (x / xMax) * (w - pad.l - pad.r);
  const py = (y: number) => pad.t + ((hi - y) / (hi - lo)) * (h - pad.t - pad.b);
  ctx.fillStyle = '#555';
  ctx.fillText(hi.toFixed(3), 2, pad.t + 9);
  ctx.fillText(lo.toFixed(3), 2, h - pad.b);
  ctx.fillText(`step ${Math.round(xMax)}`, w - 70, h - 5);
  canvas.dataset.step = String(Math.round(xMax));
  for (const [s, colour] of [
    [train, '#f59322'],
    [val, '#0877bd'],
  ] as const) {
    if (s.length === 0) continue;
    ctx.beginPath();
    for (let i = 0; i < s.length; i++) (i ? ctx.lineTo : ctx.moveTo).call(ctx, px(s.xs[i]), py(s.ys[i]));
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.6;
    ctx.stroke();
  }
}
