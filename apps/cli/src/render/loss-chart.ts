/** The eight block heights a column can end in, one eighth of a row each. */
const BLOCKS = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * A small Unicode bar chart of a series (a loss curve) for the terminal: at most `width` columns
 * (each the mean of its run of values), `height` rows of eighth blocks, the top and bottom value
 * labelled on the left. The lowest value still shows one eighth, so the curve never vanishes.
 */
export function lossChart(values: ArrayLike<number>, width = 60, height = 8): string[] {
  const n = values.length;
  if (n === 0) return [];
  const cols = Math.min(width, n);
  const col = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    const a = Math.floor((c * n) / cols);
    const b = Math.floor(((c + 1) * n) / cols);
    let s = 0;
    for (let i = a; i < b; i++) s += values[i];
    col[c] = s / (b - a);
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of col) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const span = hi - lo;
  const eighths = Array.from(col, (v) => 1 + (span > 0 ? Math.round(((v - lo) / span) * (height * 8 - 1)) : 0));
  const top = fmt(hi);
  const bottom = fmt(lo);
  const pad = Math.max(top.length, bottom.length);
  const lines: string[] = [];
  for (let r = 0; r < height; r++) {
    const base = (height - 1 - r) * 8;
    const row = eighths.map((h) => BLOCKS[Math.max(0, Math.min(8, h - base))]).join('');
    const label = r === 0 ? top : r === height - 1 ? bottom : '';
    lines.push(`${label.padStart(pad)} ┤${row}`);
  }
  return lines;
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3);
}
