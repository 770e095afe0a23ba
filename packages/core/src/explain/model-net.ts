import type { MLPSpec } from '../model/spec.js';
import { specLayout } from '../model/layout.js';
import type { ExplainNet } from './trace.js';

/**
 * A trained model's flat θ as the nested weights `explain` takes (the inverse of its fill):
 * weights[l][i][j] = W^l[i][j], biases[l][j], skips["k>t"][i][j] = W^{k→t}[i][j].
 */
export function explainNetOf(spec: MLPSpec, params: ArrayLike<number>, input: number[], target: number[], lr: number): ExplainNet {
  const layout = specLayout(spec);
  const matrix = (w: number, nIn: number, nOut: number) => Array.from({ length: nIn }, (_, i) => Array.from({ length: nOut }, (_, j) => params[w + i * nOut + j]));
  const weights = layout.layers.map((s) => matrix(s.w, s.nIn, s.nOut));
  const biases = layout.layers.map((s) => Array.from({ length: s.nOut }, (_, j) => params[s.b + j]));
  const net: ExplainNet = { spec, weights, biases, input, target, lr };
  if (layout.skips.length === 0) return net;
  return { ...net, skips: Object.fromEntries(layout.skips.map((s) => [`${s.from}>${s.to}`, matrix(s.w, s.nIn, s.nOut)])) };
}
