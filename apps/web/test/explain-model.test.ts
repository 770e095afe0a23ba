import { LECTURE_EXAMPLE_1 } from '@shardgrad/core';
import { describe, expect, it } from 'vitest';
import { explainBlocks, explainNetFromParams, explainSample } from '../src/views/explain-model.js';

// The lecture's Example 1: one sigmoid unit, w = (0.5, 0.5), b = 0.3398, x = (0.1, 0.5), t = 1, η = 0.5.
// By hand: v = 0.1·0.5 + 0.5·0.5 + 0.3398 = 0.6398; ŷ = σ(0.6398) = 0.6547 (the slide's value);
// core's MSE L = (t − ŷ)² = 0.3453² = 0.1192; ∂L/∂ŷ = −2(t − ŷ) = −0.6906; g' = ŷ(1 − ŷ) = 0.2261;
// ∂L/∂v = −0.1561; ∂L/∂w = x·∂L/∂v = (−0.0156, −0.0781); w ← w − η·∂L/∂w = (0.5078, 0.5390).
const spec = LECTURE_EXAMPLE_1.spec;
const theta = [0.5, 0.5, 0.3398]; // core's flat layout: W⁰ (2×1), then b⁰

describe('explain panel model', () => {
  it('rebuilds the network from the flat parameter vector', () => {
    const net = explainNetFromParams(spec, theta, [0.1, 0.5], [1], 0.5);
    expect(net.weights).toEqual([[[0.5], [0.5]]]);
    expect(net.biases).toEqual([[0.3398]]);
  });

  it("shows the lecture's numbers for Example 1", () => {
    const blocks = explainBlocks(explainSample(spec, theta, [0.1, 0.5], [1], 0.5));
    const text = blocks.map((b) => `${b.title}|${b.equation}|${b.numbers}`).join('\n');
    expect(blocks.map((b) => b.title)).toEqual(['input', 'layer 1 forward', 'loss', 'layer 1 backward', 'layer 1 gradient and step']);
    expect(text).toContain('v¹ = (0.6398)');
    expect(text).toContain('y¹ = (0.6547)');
    expect(text).toContain('L = 0.1192');
    expect(text).toContain("g'(v¹) = (0.2261)");
    expect(text).toContain('∂L/∂v¹ = (-0.1561)');
    expect(text).toContain('∂L/∂W⁰₀ = (-0.0156)');
    expect(text).toContain('W⁰₀: (0.5000) → (0.5078)');
  });

  it('cuts long vectors and names softmax + cross-entropy', () => {
    const ce = { sizes: [8, 2], activations: ['softmax'] as const, loss: 'ce' as const };
    const params = new Array(8 * 2 + 2).fill(0); // all zero: v = 0, ŷ = (0.5, 0.5), ∂L/∂v = ŷ − t = (−0.5, 0.5)
    const blocks = explainBlocks(explainSample(ce, params, [1, 2, 3, 4, 5, 6, 7, 8], [1, 0], 0.1), 3);
    const text = blocks.map((b) => `${b.equation}|${b.numbers}`).join('\n');
    expect(text).toContain('x = (1.0000, 2.0000, 3.0000, … 5 more)');
    expect(text).toContain('∂L/∂v¹ = ŷ − t = (-0.5000, 0.5000)');
    expect(text).toContain('L = 0.6931'); // ln 2
  });

  it('says when the run updates with another optimizer than the SGD step it shows', () => {
    const trace = explainSample(spec, theta, [0.1, 0.5], [1], 0.5);
    expect(explainBlocks(trace).map((b) => b.title)).not.toContain('note');
    const note = explainBlocks(trace, 6, 'adam').at(-1)!;
    expect(note.title).toBe('note');
    expect(note.equation).toBe("training uses adam on the batch's mean gradient ḡ");
  });
});

describe('explain panel model with connections that skip layers', () => {
  // 2-1-2, identity hidden, softmax, skip 0>2; core's flat layout: W0→1 (2×1), b1, W1→2 (1×2),
  // W0→2 (2×2), b2. For x = (0, 1): v¹ = 0·1 + 1·1 + 0 = 1; v² = y¹·W1→2 + x·W0→2 + b2 = (1, 0) + (0, 3) = (1, 3).
  const skipSpec = { sizes: [2, 1, 2], activations: ['identity', 'softmax'], loss: 'ce', skips: [[0, 2]] } as const;
  const params = [1, 1, 0, 1, 0, 0, 0, 0, 3, 0, 0];
  it('rebuilds the skip block keyed "0>2" from the flat vector', () => {
    const net = explainNetFromParams(skipSpec as never, params, [0, 1], [0, 1], 0.1);
    expect(net.weights).toEqual([[[1], [1]], [[1, 0]]]);
    expect(net.skips).toEqual({ '0>2': [[0, 0], [0, 3]] });
    expect(net.biases).toEqual([[0], [0, 0]]);
  });
  it("shows the paper's sum over incoming layers and its numbers", () => {
    const blocks = explainBlocks(explainSample(skipSpec as never, params, [0, 1], [0, 1], 0.1));
    const forward2 = blocks.find((b) => b.title === 'layer 2 forward')!;
    expect(forward2.equation).toContain('v² = y¹·W¹ + y⁰·W⁰→² + b¹');
    expect(forward2.numbers).toContain('v² = (1.0000, 3.0000)');
  });
});
