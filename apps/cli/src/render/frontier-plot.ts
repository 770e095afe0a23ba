import { fittedSteps, type StepsExamplesFit } from '@shardgrad/core';

/** A measured point of the S–E frontier: batch size, steps and examples to the target. */
export interface FrontierPoint {
  readonly batch: number;
  readonly steps: number;
}

const num = (x: number) => x.toFixed(1);
const log = Math.log10;

/** The log–log box of the points and the fitted curve, padded to whole decades. */
function bounds(points: readonly FrontierPoint[], fit: StepsExamplesFit): { e: [number, number]; s: [number, number] } {
  const es = points.map((p) => p.batch * p.steps);
  const ss = points.map((p) => p.steps);
  if (Number.isFinite(fit.bCrit)) es.push(fit.eMin), ss.push(fit.sMin);
  return { e: [Math.floor(log(Math.min(...es))), Math.ceil(log(Math.max(...es)))], s: [Math.floor(log(Math.min(...ss))), Math.ceil(log(Math.max(...ss)))] };
}

/**
 * The S–E frontier as an SVG: steps against examples to the target, both on log axes, one dot per
 * batch size, the fitted curve (S/S_min − 1)(E/E_min − 1) = 1 with its asymptotes S_min and E_min,
 * and the curve's points at B_crit (S = 2·S_min, E = 2·E_min) and at the measured B_simple.
 */
export function frontierSvg(points: readonly FrontierPoint[], fit: StepsExamplesFit, bSimple: number, title: string): string {
  const W = 640;
  const H = 440;
  const m = { left: 70, right: 20, top: 40, bottom: 50 };
  const w = W - m.left - m.right;
  const h = H - m.top - m.bottom;
  const b = bounds(points, fit);
  const x = (e: number) => m.left + ((log(e) - b.e[0]) / (b.e[1] - b.e[0] || 1)) * w;
  const y = (s: number) => m.top + (1 - (log(s) - b.s[0]) / (b.s[1] - b.s[0] || 1)) * h;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    `<rect x="${m.left}" y="${m.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
  ];
  for (let d = b.e[0]; d <= b.e[1]; d++) out.push(`<line x1="${num(x(10 ** d))}" y1="${m.top}" x2="${num(x(10 ** d))}" y2="${m.top + h}" stroke="#eee"/><text x="${num(x(10 ** d))}" y="${m.top + h + 16}" text-anchor="middle">1e${d}</text>`);
  for (let d = b.s[0]; d <= b.s[1]; d++) out.push(`<line x1="${m.left}" y1="${num(y(10 ** d))}" x2="${m.left + w}" y2="${num(y(10 ** d))}" stroke="#eee"/><text x="${m.left - 6}" y="${num(y(10 ** d) + 4)}" text-anchor="end">1e${d}</text>`);
  out.push(`<text x="${m.left + w / 2}" y="${H - 10}" text-anchor="middle">examples E to the target (log)</text>`);
  out.push(`<text transform="translate(16 ${m.top + h / 2}) rotate(-90)" text-anchor="middle">steps S to the target (log)</text>`);
  if (Number.isFinite(fit.bCrit)) {
    const curve: string[] = [];
    for (let i = 0; i <= 200; i++) {
      const B = 10 ** (-1 + (i / 200) * 8); // 0.1 … 1e7
      const S = fittedSteps(fit, B);
      const E = B * S;
      if (log(E) >= b.e[0] && log(E) <= b.e[1] && log(S) >= b.s[0] && log(S) <= b.s[1]) curve.push(`${num(x(E))},${num(y(S))}`);
    }
    out.push(`<polyline points="${curve.join(' ')}" fill="none" stroke="#1f77b4" stroke-width="2"/>`);
    out.push(`<line x1="${m.left}" y1="${num(y(fit.sMin))}" x2="${m.left + w}" y2="${num(y(fit.sMin))}" stroke="#1f77b4" stroke-dasharray="4 4"/><text x="${m.left + w - 4}" y="${num(y(fit.sMin) - 5)}" text-anchor="end" fill="#1f77b4">S_min = ${Math.round(fit.sMin)}</text>`);
    out.push(`<line x1="${num(x(fit.eMin))}" y1="${m.top}" x2="${num(x(fit.eMin))}" y2="${m.top + h}" stroke="#1f77b4" stroke-dasharray="4 4"/><text x="${num(x(fit.eMin) + 4)}" y="${m.top + 14}" fill="#1f77b4">E_min = ${Math.round(fit.eMin)}</text>`);
    const mark = (B: number, color: string, label: string) => {
      const S = fittedSteps(fit, B);
      out.push(`<circle cx="${num(x(B * S))}" cy="${num(y(S))}" r="7" fill="none" stroke="${color}" stroke-width="2.5"/><text x="${num(x(B * S) + 10)}" y="${num(y(S) - 8)}" fill="${color}">${escapeXml(label)}</text>`);
    };
    mark(fit.bCrit, '#d62728', `B_crit = ${Math.round(fit.bCrit)}`);
    if (Number.isFinite(bSimple) && bSimple > 0) mark(bSimple, '#2ca02c', `B_simple = ${Math.round(bSimple)}`);
  }
  for (const p of points) {
    const E = p.batch * p.steps;
    out.push(`<circle cx="${num(x(E))}" cy="${num(y(p.steps))}" r="4" fill="#333"/><text x="${num(x(E) - 6)}" y="${num(y(p.steps) + 16)}" text-anchor="end" fill="#333">B=${p.batch}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The same frontier for a terminal: a log–log character grid, `●` the measured batch sizes, `·` the
 * fitted curve, `C` its point at B_crit and `N` at B_simple.
 */
export function frontierChart(points: readonly FrontierPoint[], fit: StepsExamplesFit, bSimple: number, width = 64, height = 16): string[] {
  const b = bounds(points, fit);
  const grid = Array.from({ length: height }, () => Array.from({ length: width }, () => ' '));
  const put = (E: number, S: number, ch: string) => {
    const c = Math.round(((log(E) - b.e[0]) / (b.e[1] - b.e[0] || 1)) * (width - 1));
    const r = Math.round((1 - (log(S) - b.s[0]) / (b.s[1] - b.s[0] || 1)) * (height - 1));
    if (c >= 0 && c < width && r >= 0 && r < height) grid[r][c] = ch;
  };
  if (Number.isFinite(fit.bCrit)) {
    for (let i = 0; i <= 400; i++) {
      const B = 10 ** (-1 + (i / 400) * 8);
      put(B * fittedSteps(fit, B), fittedSteps(fit, B), '·');
    }
    put(fit.bCrit * fittedSteps(fit, fit.bCrit), fittedSteps(fit, fit.bCrit), 'C');
    if (Number.isFinite(bSimple) && bSimple > 0) put(bSimple * fittedSteps(fit, bSimple), fittedSteps(fit, bSimple), 'N');
  }
  for (const p of points) put(p.batch * p.steps, p.steps, '●');
  const label = (d: number) => `1e${d}`.padStart(5);
  const lines = grid.map((row, r) => `${r === 0 ? label(b.s[1]) : r === height - 1 ? label(b.s[0]) : '     '} │${row.join('')}`);
  lines.unshift('steps S');
  lines.push(`      └${'─'.repeat(width)}`);
  lines.push(`       ${`1e${b.e[0]}`.padEnd(width - 4)}1e${b.e[1]}`);
  lines.push(`       examples E (log–log)   ● measured   · fit   C at B_crit   N at B_simple`);
  return lines;
}
