import { explain, specLayout, type ExplainNet, type ExplainTrace, type MLPSpec } from '@shardgrad/core';

/** The network in θ (flat, core's layout) and one sample, as core's `explain` reads it. */
export function explainNetFromParams(spec: MLPSpec, params: ArrayLike<number>, input: ArrayLike<number>, target: ArrayLike<number>, lr: number): ExplainNet {
  const layout = specLayout(spec);
  const weights = layout.layers.map((s) =>
    Array.from({ length: s.nIn }, (_, i) => Array.from({ length: s.nOut }, (_, j) => params[s.w + i * s.nOut + j])),
  );
  const biases = layout.layers.map((s) => Array.from({ length: s.nOut }, (_, j) => params[s.b + j]));
  const net = { spec, weights, biases, input: Array.from(input), target: Array.from(target), lr };
  if (layout.skips.length === 0) return net;
  // the blocks of connections that skip layers, keyed "k>l" as a --net file has them
  const skips = Object.fromEntries(
    layout.skips.map((s) => [`${s.from}>${s.to}`, Array.from({ length: s.nIn }, (_, i) => Array.from({ length: s.nOut }, (_, j) => params[s.w + i * s.nOut + j]))]),
  );
  return { ...net, skips };
}

/** One block of the explain panel: a title, the equation, and its numbers. */
export interface ExplainBlock {
  readonly title: string;
  readonly equation: string;
  readonly numbers: string;
}

const fmt = (x: number) => (Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(4) : x.toExponential(2));
function vec(a: readonly number[], max: number): string {
  const shown = a.slice(0, max).map(fmt).join(', ');
  return a.length > max ? `(${shown}, … ${a.length - max} more)` : `(${shown})`;
}

/**
 * The lecture's equations with the numbers of one sample, layer by layer: forward v = yW + b and
 * y = g(v), the loss, backward ∂L/∂v (through g'(v), or ŷ − t for softmax + cross-entropy), the
 * gradient ∂L/∂W = yᵀ·∂L/∂v and the step W ← W − η·∂L/∂W. Vectors longer than `max` are cut.
 * With a training `optimizer` other than sgd, a last block says that the run's own update differs.
 */
export function explainBlocks(trace: ExplainTrace, max = 6, optimizer = 'sgd'): ExplainBlock[] {
  const { net } = trace;
  const L = trace.forward.length;
  const blocks: ExplainBlock[] = [{ title: 'input', equation: 'y⁰ = x', numbers: `x = ${vec(net.input, max)}, t = ${vec(net.target, max)}` }];
  for (let l = 0; l < L; l++) {
    const k = l + 1;
    const g = net.spec.activations[l];
    // connections that skip layers add y^j·W^{j→k} for every lower layer j wired to k
    const skipTerms = (net.spec.skips ?? []).filter(([, to]) => to === k).map(([j]) => ` + y${sup(j)}·W${sup(j)}→${sup(k)}`).join('');
    blocks.push({
      title: `layer ${k} forward`,
      equation: `v${sup(k)} = y${sup(l)}·W${sup(l)}${skipTerms} + b${sup(l)},   y${sup(k)} = ${g}(v${sup(k)})`,
      numbers: `v${sup(k)} = ${vec(trace.forward[l].v, max)}\ny${sup(k)} = ${vec(trace.forward[l].y, max)}`,
    });
  }
  blocks.push({
    title: 'loss',
    equation: net.spec.loss === 'ce' ? 'L = −Σₖ tₖ·log ŷₖ' : 'L = (1/n)·Σₖ (tₖ − ŷₖ)²',
    numbers: `L = ${fmt(trace.loss)}`,
  });
  for (let l = L - 1; l >= 0; l--) {
    const k = l + 1;
    const b = trace.backward[l];
    const numbers =
      b.dy_dv === null
        ? `∂L/∂v${sup(k)} = ŷ − t = ${vec(b.dL_dv, max)}`
        : `∂L/∂y${sup(k)} = ${vec(b.dL_dy ?? [], max)}\ng'(v${sup(k)}) = ${vec(b.dy_dv, max)}\n∂L/∂v${sup(k)} = ${vec(b.dL_dv, max)}`;
    blocks.push({
      title: `layer ${k} backward`,
      equation: b.dy_dv === null ? `∂L/∂v${sup(k)} = ŷ − t  (softmax + cross-entropy)` : `∂L/∂v${sup(k)} = ∂L/∂y${sup(k)} ⊙ g'(v${sup(k)})`,
      numbers,
    });
    const dW = trace.gradients.weights[l];
    const W = net.weights[l];
    const Wn = trace.updated.weights[l];
    blocks.push({
      title: `layer ${k} gradient and step`,
      equation: `∂L/∂W${sup(l)}ᵢⱼ = y${sup(l)}ᵢ · ∂L/∂v${sup(k)}ⱼ,   W ← W − η·∂L/∂W  (η = ${net.lr})`,
      numbers: `∂L/∂W${sup(l)}₀ = ${vec(dW[0], max)}\nW${sup(l)}₀: ${vec(W[0], max)} → ${vec(Wn[0], max)}\n∂L/∂b${sup(l)} = ${vec(trace.gradients.biases[l], max)}`,
    });
  }
  if (optimizer !== 'sgd')
    blocks.push({
      title: 'note',
      equation: `training uses ${optimizer} on the batch's mean gradient ḡ`,
      numbers: `The steps above are the lecture's plain SGD for this one sample; the run's update Δθ is in the averaging panel.`,
    });
  return blocks;
}

/** The trace of the sample through the current parameters. */
export function explainSample(spec: MLPSpec, params: ArrayLike<number>, input: ArrayLike<number>, target: ArrayLike<number>, lr: number): ExplainTrace {
  return explain(explainNetFromParams(spec, params, input, target, lr));
}

const SUP = '⁰¹²³⁴⁵⁶⁷⁸⁹';
function sup(n: number): string {
  return String(n)
    .split('')
    .map((d) => SUP[Number(d)])
    .join('');
}
