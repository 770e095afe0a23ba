import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../apps/cli/dist/main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
const dir = mkdtempSync(path.join(tmpdir(), 'sg-explain-'));

describe('shardgrad explain', () => {
  it("with no argument walks through the lecture's Example 1", () => {
    const r = run('explain');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('y = (0.6547)');
    expect(r.stdout).toContain('= 0.1192');
    expect(r.stdout).toContain('∂L/∂y = (-0.6906)');
    expect(r.stdout).toContain("g'(v) = (0.2261)");
    expect(r.stdout).toMatch(/\[-0\.0156\]\s+\[-0\.0781\]/);
  });

  it('--net FILE --json prints one JSON object with the input nesting (tanh/relu network)', () => {
    // 2-2-1, tanh hidden, relu output, MSE; expected values worked by hand:
    // v¹ = x·W⁰ + b⁰ = (1·0.5 + 2·(−0.25) + 0.1, 1·0.2 + 2·0.3 − 0.1) = (0.1, 0.7)
    // y¹ = tanh(v¹) = (0.0996679946, 0.6043677771)
    // v² = y¹·W¹ + b¹ = 0.0996679946·1 + 0.6043677771·0.5 + 0.2 = 0.6018518832, ŷ = relu = 0.6018518832
    // L = (1 − ŷ)² = 0.1585219229, ∂L/∂ŷ = −2(1 − ŷ) = −0.7962962336, g' = 1 (v > 0)
    // ∂L/∂W¹ = y¹ᵀ·δ = (−0.0793652, −0.4812558)
    const net = {
      layers: [2, 2, 1], activation: 'tanh', output: 'relu', loss: 'mse',
      weights: [[[0.5, 0.2], [-0.25, 0.3]], [[1], [0.5]]], biases: [[0.1, -0.1], [0.2]],
      input: [1, 2], target: [1], lr: 0.1,
    };
    const file = path.join(dir, 'net.json');
    writeFileSync(file, JSON.stringify(net));
    const r = run('explain', '--net', file, '--json');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]);
    expect(out.forward[0].v[0]).toBeCloseTo(0.1, 9);
    expect(out.forward[0].v[1]).toBeCloseTo(0.7, 9);
    expect(out.forward[0].y[1]).toBeCloseTo(0.6043677771, 9);
    expect(out.forward[1].y[0]).toBeCloseTo(0.6018518832, 9);
    expect(out.loss).toBeCloseTo(0.15852193, 7);
    expect(out.gradients.weights[1][0][0]).toBeCloseTo(-0.0996679946 * 0.7962962336, 7);
    expect(out.gradients.weights[1][1][0]).toBeCloseTo(-0.6043677771 * 0.7962962336, 7);
    expect(out.gradients.biases[1][0]).toBeCloseTo(-0.7962962336, 7);
    expect(out.updated.weights[1][0][0]).toBeCloseTo(1 + 0.1 * 0.0996679946 * 0.7962962336, 7);
    expect(out.gradients.weights).toHaveLength(2);
    expect(out.gradients.weights[0]).toHaveLength(2);
    expect(out.gradients.weights[0][0]).toHaveLength(2);
  });

  it('a malformed file is one line naming the field, exit code 2', () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ layers: [2, 2], weights: [[[1, 2], [3, 'x']]], input: [0, 0], target: [0, 0] }));
    const r = run('explain', '--net', file);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${file}: weights[0][1]: expected 2 finite numbers`);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
    const notJson = path.join(dir, 'broken.json');
    writeFileSync(notJson, '{"layers": [2,');
    const r2 = run('explain', '--net', notJson);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/broken\.json: not valid JSON/);
    const r3 = run('explain', '--net', path.join(dir, 'missing.json'));
    expect(r3.status).toBe(2);
    expect(r3.stderr).toContain('missing.json: no such file');
  });
});

describe('explain --net with softmax and cross-entropy', () => {
  // one layer 2 → 2, W = [[0.1, 0.2], [0.3, −0.4]], b = 0, x = (1, 2): v = (0.7, −0.6)
  const net = (target: number[]) => ({ layers: [2, 2], output: 'softmax', weights: [[[0.1, 0.2], [0.3, -0.4]]], input: [1, 2], target, lr: 0.5 });
  const dir = mkdtempSync(path.join(tmpdir(), 'sg-explain-ce-'));

  it('a target that is not a class distribution is refused (ŷ − t would be the wrong gradient)', () => {
    const file = path.join(dir, 'sum07.json');
    writeFileSync(file, JSON.stringify(net([0.5, 0.2])));
    const r = run('explain', '--net', file);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`shardgrad: ${file}: target: softmax with cross-entropy needs a class distribution (numbers ≥ 0 that sum to 1), got sum 0.7\n`);
  });

  it('a soft target that sums to 1 gets the true gradient, x_i·(ŷ_j − t_j), and the output activation is named', () => {
    const file = path.join(dir, 'soft.json');
    writeFileSync(file, JSON.stringify(net([0.3, 0.7])));
    const out = JSON.parse(run('explain', '--net', file, '--json').stdout);
    const e0 = Math.exp(0.7);
    const e1 = Math.exp(-0.6);
    const dv = [e0 / (e0 + e1) - 0.3, e1 / (e0 + e1) - 0.7];
    expect(out.output).toBe('softmax');
    out.gradients.weights[0].forEach((row: number[], i: number) => row.forEach((g, j) => expect(g).toBeCloseTo([1, 2][i] * dv[j], 9)));
    expect(run('explain', '--net', file).stdout.split('\n')[0]).toBe('Network 2-2: output activation softmax, loss ce, η = 0.5');
  });
});
