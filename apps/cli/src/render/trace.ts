import type { ExplainTrace } from '@shardgrad/core';

const f = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(4));
const vec = (a: number[]) => `(${a.map(f).join(', ')})`;
const mat = (m: number[][], indent: string) => m.map((row) => `${indent}[${row.map(f).join(', ')}]`).join('\n');

/** The trace as the lecture's appendix prints it: forward, loss, chain-rule factors, gradients, update. */
export function formatTrace(t: ExplainTrace, options: { forwardOnly?: boolean } = {}): string {
  const { spec } = t.net;
  const L = spec.sizes.length - 1;
  const out: string[] = [];
  const hidden = L > 1 ? `hidden activation ${spec.activations[0]}, ` : '';
  const skips = spec.skips ?? [];
  const withSkips = skips.length > 0 ? ` with connections that skip layers: ${skips.map(([k, l]) => `${k}>${l}`).join(', ')}` : '';
  out.push(`Network ${spec.sizes.join('-')}${withSkips}: ${hidden}output activation ${spec.activations[L - 1]}, loss ${spec.loss}, η = ${t.net.lr}`);
  out.push(options.forwardOnly ? `Input x = y⁰ = ${vec(t.net.input)}` : `Input x = y⁰ = ${vec(t.net.input)}, target y = ${vec(t.net.target)}`);
  if (skips.length > 0) {
    out.push('', 'Forward: v^l = Σ_k y^k·W^{k→l} + b^l over every lower layer k connected to l, y^l = g(v^l)');
    out.push('  (Rumelhart, Hinton & Williams 1986: connections can skip intermediate layers)');
  } else out.push('', 'Forward: v = yW + b, y = g(v)');
  t.forward.forEach((l, i) => {
    out.push(`  layer ${i + 1} (${spec.activations[i]}): v = ${vec(l.v)}`);
    out.push(`  ${' '.repeat(String(i + 1).length + 8 + spec.activations[i].length)}   y = ${vec(l.y)}`);
  });
  if (options.forwardOnly) return out.join('\n');
  out.push('', spec.loss === 'mse' ? `Loss L = (1/N)·Σ(y − ŷ)² = ${f(t.loss)}` : `Loss L = −Σ y·log ŷ = ${f(t.loss)}`);
  out.push('', 'Backward: ∂L/∂W = ∂L/∂y · ∂y/∂v · ∂v/∂W (chain rule)');
  if (skips.length > 0) out.push('  a layer k that feeds several layers l sums their paths: ∂L/∂y^k = Σ_l ∂L/∂v^l·(W^{k→l})ᵀ');
  const sup = (n: number) => String(n).replace(/\d/g, (d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(d)]);
  for (let l = L - 1; l >= 0; l--) {
    const b = t.backward[l];
    out.push(`  layer ${l + 1}:`);
    if (b.dL_dy) out.push(`    ∂L/∂y = ${vec(b.dL_dy)}`);
    if (b.dy_dv) out.push(`    ∂y/∂v = g'(v) = ${vec(b.dy_dv)}`);
    else out.push('    softmax and cross-entropy together: ∂L/∂v = ŷ − y');
    out.push(`    ∂L/∂v = ${vec(b.dL_dv)}`);
    out.push(`    ∂L/∂W = (y below)ᵀ·∂L/∂v =\n${mat(t.gradients.weights[l], '      ')}`);
    for (const [k, to] of skips)
      if (to === l + 1) out.push(`    ∂L/∂W${k}→${to} = (y${sup(k)})ᵀ·∂L/∂v =\n${mat(t.gradients.skips![`${k}>${to}`], '      ')}`);
    out.push(`    ∂L/∂b = ∂L/∂v = ${vec(t.gradients.biases[l])}`);
  }
  out.push('', `Update: W ← W − η·∂L/∂W, b ← b − η·∂L/∂b (η = ${t.net.lr})`);
  for (let l = 0; l < L; l++) {
    out.push(`  W${l + 1} =\n${mat(t.updated.weights[l], '    ')}`);
    for (const [k, to] of skips) if (to === l + 1) out.push(`  W${k}→${to} =\n${mat(t.updated.skips![`${k}>${to}`], '    ')}`);
    out.push(`  b${l + 1} = ${vec(t.updated.biases[l])}`);
  }
  return out.join('\n');
}
