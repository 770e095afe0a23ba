import { describe, expect, it } from 'vitest';
import { activate, explain, LECTURE_EXAMPLE_1, parseExplainNet } from '../src/index.js';

describe("the lecture's Example 1: one sigmoid unit, x = (0.1, 0.5), target 1, MSE with N = 1", () => {
  const t = explain(LECTURE_EXAMPLE_1);
  it('forward: ŷ = 0.6547 and L = 0.1192', () => {
    expect(t.forward[0].y[0]).toBeCloseTo(0.6547, 4);
    expect(t.loss).toBeCloseTo(0.1192, 4);
  });
  it('chain-rule factors: ∂L/∂ŷ = −0.6906, ∂ŷ/∂v = 0.2261', () => {
    expect(t.backward[0].dL_dy![0]).toBeCloseTo(-0.6906, 4);
    expect(t.backward[0].dy_dv![0]).toBeCloseTo(0.2261, 4);
  });
  it('gradients: ∂L/∂w = (−0.0156, −0.0781), ∂L/∂b = −0.1561', () => {
    expect(t.gradients.weights[0][0][0]).toBeCloseTo(-0.0156, 4);
    // the slide prints −0.0778; −0.1561 × 0.5 = −0.0781 is the consistent value
    expect(t.gradients.weights[0][1][0]).toBeCloseTo(-0.0781, 4);
    expect(t.gradients.biases[0][0]).toBeCloseTo(-0.1561, 4);
  });
  it('σ(0.32) = 0.5793', () => {
    expect(activate('sigmoid', 0.32)).toBeCloseTo(0.5793, 4);
  });
  it('ReLU derivative is 1 for v > 0 and 0 for v ≤ 0, as the lecture defines it', () => {
    const relu = explain(
      parseExplainNet({ layers: [1, 2], activation: 'relu', output: 'relu', weights: [[[1, -1]]], biases: [[0, 0]], input: [0], target: [1, 1] }, 'inline'),
    );
    // v = (0, 0): both derivatives must be 0 (v ≤ 0), so no gradient flows
    expect(relu.backward[0].dy_dv).toEqual([0, 0]);
  });
});

describe('a 2-2-2 sigmoid network with MSE, one SGD step (η = 0.5)', () => {
  // Expected numbers: fixtures/net222.py, plain Python floats written from the formulas, whose
  // output is pasted below. They also agree with Mazur's published "step by step" example
  // (E_total = 0.298371109, w5⁺ = 0.35891648, w1⁺ = 0.149780716), since (1/N)Σ with N = 2 is ½Σ.
  const t = explain(
    parseExplainNet(
      {
        layers: [2, 2, 2],
        activation: 'sigmoid',
        output: 'sigmoid',
        loss: 'mse',
        weights: [
          [
            [0.15, 0.25],
            [0.2, 0.3],
          ],
          [
            [0.4, 0.5],
            [0.45, 0.55],
          ],
        ],
        biases: [
          [0.35, 0.35],
          [0.6, 0.6],
        ],
        input: [0.05, 0.1],
        target: [0.01, 0.99],
        lr: 0.5,
      },
      'net222',
    ),
  );
  const close = (a: number[], b: number[]) => a.forEach((x, i) => expect(x).toBeCloseTo(b[i], 12));
  const closeM = (a: number[][], b: number[][]) => a.forEach((r, i) => close(r, b[i]));
  it('forward values', () => {
    close(t.forward[0].v, [0.3775, 0.39249999999999996]);
    close(t.forward[0].y, [0.5932699921071872, 0.596884378259767]);
    close(t.forward[1].v, [1.10590596705977, 1.2249214040964653]);
    close(t.forward[1].y, [0.7513650695523157, 0.7729284653214625]);
  });
  it('loss', () => expect(t.loss).toBeCloseTo(0.2983711087600027, 12));
  it('chain-rule factors', () => {
    close(t.backward[1].dL_dy!, [0.7413650695523157, -0.21707153467853746]);
    close(t.backward[1].dL_dv, [0.13849856162855695, -0.038098236516556236]);
    close(t.backward[0].dL_dy!, [0.03635030639314466, 0.0413703226487447]);
    close(t.backward[0].dL_dv, [0.00877135468948693, 0.009954254705217196]);
  });
  it('every gradient', () => {
    closeM(t.gradients.weights[1], [
      [0.08216704056423077, -0.02260254047747507],
      [0.08266762784753325, -0.022740242215978222],
    ]);
    close(t.gradients.biases[1], [0.13849856162855695, -0.038098236516556236]);
    closeM(t.gradients.weights[0], [
      [0.0004385677344743465, 0.0004977127352608599],
      [0.000877135468948693, 0.0009954254705217198],
    ]);
    close(t.gradients.biases[0], [0.00877135468948693, 0.009954254705217196]);
  });
  it('weights after one SGD step', () => {
    closeM(t.updated.weights[0], [
      [0.1497807161327628, 0.24975114363236958],
      [0.19956143226552567, 0.29950228726473915],
    ]);
    close(t.updated.biases[0], [0.3456143226552565, 0.3450228726473914]);
    closeM(t.updated.weights[1], [
      [0.35891647971788465, 0.5113012702387375],
      [0.4086661860762334, 0.5613701211079891],
    ]);
    close(t.updated.biases[1], [0.5307507191857215, 0.6190491182582781]);
  });
});

describe('network files', () => {
  it('name the field that is wrong', () => {
    expect(() => parseExplainNet({ layers: [2, 2], weights: [[[1, 2], [3]]], input: [0, 0], target: [0, 0] }, 'net.json')).toThrow(
      'net.json: weights[0][1]: expected 2 finite numbers',
    );
    expect(() => parseExplainNet({ layers: [2, 1], weights: [[[1], [2]]], input: [0], target: [0] }, 'n.json')).toThrow('n.json: input: expected 2 finite numbers');
    expect(() => parseExplainNet({ layers: [2, 1], activation: 'swish', weights: [[[1], [2]]], input: [0, 0], target: [0] }, 'n.json')).toThrow(
      'n.json: activation: expected one of',
    );
    expect(() => parseExplainNet([1, 2], 'n.json')).toThrow('n.json: expected a JSON object');
  });
});
