/** One epoch's numbers, as the coordinator reports them. */
export interface CurvePoint {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly valLoss: number;
  readonly valAccuracy: number;
}

/** Panel geometry (SVG user units): two panels side by side. */
export const PLOT = { panelWidth: 420, panelHeight: 280, margin: { left: 56, right: 16, top: 36, bottom: 40 } } as const;

interface Series {
  readonly label: string;
  readonly color: string;
  readonly values: readonly number[];
}

const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

/**
 * Point i of n values in a panel whose plot area starts at (x0, y0) with size (w, h), for values in
 * [lo, hi]: x spreads the points evenly (a single point sits in the middle), y grows upwards.
 */
export function plotPoint(i: number, n: number, v: number, lo: number, hi: number, x0: number, y0: number, w: number, h: number): [number, number] {
  const x = n > 1 ? x0 + (i / (n - 1)) * w : x0 + w / 2;
  const y = hi > lo ? y0 + (1 - (v - lo) / (hi - lo)) * h : y0 + h / 2;
  return [x, y];
}

function panel(title: string, series: readonly Series[], epochs: readonly number[], offsetX: number, fixed?: [number, number]): string {
  const { panelWidth: W, panelHeight: H, margin: m } = PLOT;
  const x0 = offsetX + m.left;
  const y0 = m.top;
  const w = W - m.left - m.right;
  const h = H - m.top - m.bottom;
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const [lo, hi] = fixed ?? [Math.min(...all), Math.max(...all)];
  const out: string[] = [];
  out.push(`<text x="${num(offsetX + W / 2)}" y="20" text-anchor="middle" font-size="14">${title}</text>`);
  out.push(`<rect x="${num(x0)}" y="${num(y0)}" width="${num(w)}" height="${num(h)}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${num(x0 - 6)}" y="${num(y0 + 4)}" text-anchor="end" font-size="11">${lo === hi ? '' : hi.toPrecision(3)}</text>`);
  out.push(`<text x="${num(x0 - 6)}" y="${num(y0 + h + 4)}" text-anchor="end" font-size="11">${lo.toPrecision(3)}</text>`);
  out.push(`<text x="${num(x0)}" y="${num(y0 + h + 18)}" font-size="11">epoch ${epochs[0]}</text>`);
  out.push(`<text x="${num(x0 + w)}" y="${num(y0 + h + 18)}" text-anchor="end" font-size="11">epoch ${epochs[epochs.length - 1]}</text>`);
  series.forEach((s, k) => {
    const pts = s.values.map((v, i) => plotPoint(i, s.values.length, v, lo, hi, x0, y0, w, h).map(num).join(',')).join(' ');
    out.push(`<polyline data-series="${s.label}" points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    out.push(`<text x="${num(x0 + 8)}" y="${num(y0 + 16 + 14 * k)}" font-size="11" fill="${s.color}">${s.label}</text>`);
  });
  return out.join('\n');
}

/**
 * The loss curves (training and validation loss per epoch) and, for classifiers, the validation
 * accuracy curve (on a fixed 0–100 % axis) as one self-contained SVG document.
 */
export function svgPlot(history: readonly CurvePoint[], withAccuracy = true): string {
  const epochs = history.map((p) => p.epoch);
  const W = PLOT.panelWidth * (withAccuracy ? 2 : 1);
  const H = PLOT.panelHeight;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    panel('loss', [
      { label: 'train loss', color: '#1f77b4', values: history.map((p) => p.trainLoss) },
      { label: 'validation loss', color: '#ff7f0e', values: history.map((p) => p.valLoss) },
    ], epochs, 0),
    !withAccuracy ? '' : panel('validation accuracy (%)', [{ label: 'validation accuracy', color: '#2ca02c', values: history.map((p) => 100 * p.valAccuracy) }], epochs, PLOT.panelWidth, [0, 100]),
    '</svg>',
    '',
  ].join('\n');
}
