import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModelFile } from '@shardgrad/core';
import { CLI, jsonLines, runCli, tempDir } from './cli-helpers.js';

const dir = tempDir('train');
const bytes = (file: string) => readFileSync(file);

describe('shardgrad train on xor (built-in 2D set)', () => {
  // xor:200 → 200 rows, the last fifth (40) held out, 160 training rows; batch 32 → 5 steps per
  // epoch; 6 epochs → 30 steps.
  const args = (workers: number, out: string) => ['train', '--data', 'xor:200', '--hidden', '8', '--lr', '0.3', '--batch', '32', '--epochs', '6', '--workers', String(workers), '--out', out, '--json'];
  const out1 = path.join(dir, 'xor-1.sgm');
  const out2 = path.join(dir, 'xor-2.sgm');

  it('--json: one object per line, a step line for each of the 30 steps, an epoch line per epoch, then a summary', () => {
    const r = runCli(args(1, out1));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = jsonLines(r.stdout);
    const steps = lines.filter((l) => l.type === 'step');
    const epochs = lines.filter((l) => l.type === 'epoch');
    expect(steps.map((l) => l.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(steps.map((l) => l.epoch)).toEqual(Array.from({ length: 30 }, (_, i) => Math.floor(i / 5) + 1));
    for (const l of lines.filter((l) => l.type !== 'summary'))
      for (const key of ['epoch', 'step', 'loss', 'accuracy', 'samplesPerSec', 'elapsed']) expect(l).toHaveProperty(key);
    expect(steps.every((l) => l.accuracy === null && (l.loss as number) > 0 && (l.samplesPerSec as number) > 0)).toBe(true);
    expect(epochs.map((l) => [l.epoch, l.step])).toEqual([1, 2, 3, 4, 5, 6].map((e) => [e, 5 * e]));
    const summary = lines[lines.length - 1];
    expect(summary.type).toBe('summary');
    expect(summary.steps).toBe(30);
    expect(summary.model).toBe(out1);
    expect(summary.workers).toBe(1);
    // xor is separable by a small tanh/relu net: the held-out accuracy is high and the loss fell
    expect(summary.accuracy as number).toBeGreaterThan(0.9);
    expect(epochs[5].loss as number).toBeLessThan(epochs[0].loss as number);
    expect(existsSync(out1)).toBe(true);
  });

  it('2 workers write the same model file, byte for byte', () => {
    const r = runCli(args(2, out2));
    expect(r.status, r.stderr).toBe(0);
    expect(Buffer.compare(bytes(out1), bytes(out2))).toBe(0);
  });

  it('eval of the saved model on the held-out rows reproduces the final validation accuracy', () => {
    const train = jsonLines(runCli(args(1, path.join(dir, 'xor-again.sgm'))).stdout);
    const finalAccuracy = train[train.length - 1].accuracy as number;
    const r = runCli(['eval', '--model', out1, '--data', 'xor:200', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [e] = jsonLines(r.stdout);
    expect(e.rows).toBe(40);
    expect(e.accuracy).toBe(finalAccuracy);
    const confusion = e.confusion as number[][];
    expect(confusion[0][0] + confusion[1][1]).toBe(Math.round(finalAccuracy * 40));
  });

  it('--val-split 0.25 holds out a quarter of the training rows: fewer steps per epoch', () => {
    // 160 training rows − round(0.25·160) = 120 → ⌈120/32⌉ = 4 steps per epoch; 2 epochs = 8 steps
    const r = runCli(['train', '--data', 'xor:200', '--hidden', '8', '--batch', '32', '--epochs', '2', '--val-split', '0.25', '--lr-schedule', 'step:4:0.5', '--workers', '1', '--out', path.join(dir, 'xor-val.sgm'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines.filter((l) => l.type === 'step')).toHaveLength(8);
    expect(lines.filter((l) => l.type === 'epoch').map((l) => l.step)).toEqual([4, 8]);
  });

  it('predict classifies the four xor corners (class 1 where x·y < 0)', () => {
    const r = runCli(['predict', '--model', out1, '--input', '-'], { input: 'x,y\n1,1\n-1,1\n1,-1\n-1,-1\n' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('0\n1\n1\n0\n');
  });
});

describe('--optimizer and --weight-decay reach the update', () => {
  /** θ of a short xor run with these extra flags (hex of its bytes). */
  const theta = (...extra: string[]) => {
    const out = path.join(dir, `opt-${extra.join('_')}.sgm`);
    const r = runCli(['train', '--data', 'xor:200', '--hidden', '8', '--lr', '0.03', '--batch', '32', '--epochs', '2', '--workers', '1', '--out', out, ...extra]);
    expect(r.status, r.stderr).toBe(0);
    const params = decodeModelFile(readFileSync(out)).tensors.get('params')!;
    return Buffer.from(params.buffer, params.byteOffset, params.byteLength).toString('hex');
  };
  it('the summary reports the workers that ran: --workers 4 over --shards 2 runs 2', () => {
    const r = runCli(['train', '--data', 'xor:200', '--hidden', '4', '--epochs', '1', '--workers', '4', '--shards', '2', '--json', '--out', path.join(dir, 'clamped.sgm')]);
    expect(r.status, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines[lines.length - 1].workers).toBe(2);
  });
  it('adamw with λ = 0 is Adam bit for bit (θ·(1 − η·0) = θ); its default λ 0.01 and --weight-decay on adam change θ', () => {
    const adam = theta('--optimizer', 'adam');
    expect(theta('--optimizer', 'adamw', '--weight-decay', '0')).toBe(adam);
    const adamw = theta('--optimizer', 'adamw');
    expect(adamw).not.toBe(adam);
    expect(theta('--optimizer', 'adamw', '--weight-decay', '0.01')).toBe(adamw);
    expect(theta('--optimizer', 'adam', '--weight-decay', '0.01')).not.toBe(adam);
  });
});

describe('shardgrad train on a small MNIST slice', () => {
  // --limit 600: the first 600 training digits and ⌈600/4⌉ = 150 held-out ones; batch 50 → 12
  // steps per epoch, 2 epochs → 24 steps.
  const args = (workers: number, out: string, ...more: string[]) => ['train', '--limit', '600', '--hidden', '16', '--batch', '50', '--epochs', '2', '--workers', String(workers), '--out', out, ...more];
  const out1 = path.join(dir, 'mnist-1.sgm');
  const out2 = path.join(dir, 'mnist-2.sgm');

  it('1 worker: plain epoch lines and a summary when stdout is not a terminal (no progress bar codes)', () => {
    const plot = path.join(dir, 'curves.svg');
    const r = runCli(args(1, out1, '--plot', plot));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('\u001b[');
    expect(r.stdout).toMatch(/^epoch 1\/2 {2}train loss \d\.\d{4} {2}val loss \d\.\d{4} {2}val accuracy \d+\.\d\d% /m);
    expect(r.stdout).toMatch(/^epoch 2\/2 /m);
    expect(r.stdout).toMatch(/trained 784-16-10 on mnist: 2 epochs, 24 steps in [\d.]+ s, \d+ samples\/s with 1 worker/);
    expect(r.stdout).toMatch(/final validation accuracy \d+\.\d\d% \(validation loss \d\.\d{4}\)/);
    expect(r.stdout).toContain(`model written to ${out1}`);
    expect(r.stdout).toContain(`curves written to ${plot}`);
    expect(r.stdout.match(/┤/g)?.length).toBe(6); // the loss chart: 6 rows
    const acc = Number(/final validation accuracy (\d+\.\d\d)%/.exec(r.stdout)![1]);
    expect(acc).toBeGreaterThan(40); // 10 classes: chance is 10 %

    // the SVG: 2 loss curves and 1 accuracy curve, a point per epoch, accuracy on a 0–100 % axis
    const svg = readFileSync(plot, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const series = [...svg.matchAll(/<polyline data-series="([^"]+)" points="([^"]+)"/g)].map((m) => [m[1], m[2].split(' ').map((p) => p.split(',').map(Number))] as const);
    expect(series.map((s) => s[0])).toEqual(['train loss', 'validation loss', 'validation accuracy']);
    for (const [, pts] of series) expect(pts).toHaveLength(2);
    // accuracy panel: plot area x from 420 + 56 = 476, width 420 − 56 − 16 = 348; y from 36, height 280 − 36 − 40 = 204
    const [p1, p2] = series[2][1];
    expect(p1[0]).toBeCloseTo(476, 2);
    expect(p2[0]).toBeCloseTo(476 + 348, 2);
    expect(p2[1]).toBeCloseTo(36 + (1 - acc / 100) * 204, 0);
  });

  it('2 workers: the same model bytes as 1 worker', () => {
    const r = runCli(args(2, out2, '--json'));
    expect(r.status, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines.filter((l) => l.type === 'step')).toHaveLength(24);
    expect(lines[lines.length - 1].workers).toBe(2);
    expect(Buffer.compare(bytes(out1), bytes(out2))).toBe(0);
  });

  it('eval prints the confusion matrix of the held-out slice; predict reads digits from a CSV', () => {
    const r = runCli(['eval', '--model', out1, '--limit', '150', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [e] = jsonLines(r.stdout);
    expect(e.rows).toBe(150);
    const confusion = e.confusion as number[][];
    expect(confusion).toHaveLength(10);
    expect(confusion.flat().reduce((a, b) => a + b, 0)).toBe(150);
    const correct = confusion.reduce((s, row, k) => s + row[k], 0);
    expect(e.accuracy as number).toBeCloseTo(correct / 150, 12);
    // a blank image and an all-ones image: two predictions, each a digit
    const rows = [new Array(784).fill(0).join(','), new Array(784).fill(1).join(',')].join('\n');
    const p = runCli(['predict', '--model', out1, '--input', '-'], { input: rows });
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/^\d\n\d\n$/);
  });
});

describe('on a terminal', () => {
  it('draws a progress bar with samples/s, loss and ETA (run under a pseudo-terminal with util-linux script)', () => {
    const out = path.join(dir, 'tty.sgm');
    const command = [process.execPath, CLI, 'train', '--data', 'xor:4000', '--hidden', '8', '--batch', '8', '--epochs', '2', '--workers', '1', '--out', out].join(' ');
    const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('\u001b['); // cursor control: the bar redraws in place
    expect(r.stdout).toMatch(/epoch [12]\/2 [█░]+ +\d+% \| loss \d\.\d{4} \| \d+ samples\/s \| ETA/);
    expect(r.stdout).toMatch(/epoch 2\/2 {2}train loss/);
    expect(r.stdout).toContain(`model written to ${out}`);
  });
});

describe('a CSV regression through --target-columns and --task regression', () => {
  it('learns y = 2a − b + 0.5 and predict gives it back for new rows', () => {
    // 200 rows on a fixed grid: a = (i mod 20)/10 − 1, b = ⌊i/20⌋/5 − 1, y exact
    const rows = ['a,b,y'];
    for (let i = 0; i < 200; i++) {
      const a = (i % 20) / 10 - 1;
      const b = Math.floor(i / 20) / 5 - 1;
      rows.push(`${a},${b},${2 * a - b + 0.5}`);
    }
    const csv = path.join(dir, 'linear.csv');
    writeFileSync(csv, rows.join('\n') + '\n');
    const model = path.join(dir, 'linear.sgm');
    const r = runCli(['train', '--data', `csv:${csv}`, '--target-columns', 'y', '--task', 'regression', '--hidden', '8', '--activation', 'tanh', '--lr', '0.05', '--batch', '16', '--epochs', '30', '--workers', '2', '--out', model, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines.filter((l) => l.type === 'epoch').every((l) => l.accuracy === null)).toBe(true);
    // (0.5, 0.5) → 2·0.5 − 0.5 + 0.5 = 1; (−0.5, 0) → −0.5; (0, −0.4) → 0.9
    const p = runCli(['predict', '--model', model, '--input', '-'], { input: 'a,b\n0.5,0.5\n-0.5,0\n0,-0.4\n' });
    expect(p.status, p.stderr).toBe(0);
    const got = p.stdout.trim().split('\n').map(Number);
    [1, -0.5, 0.9].forEach((want, i) => expect(Math.abs(got[i] - want)).toBeLessThan(0.15));
  });

  it('the CSV column flags are refused for other sources', () => {
    const r = runCli(['train', '--data', 'xor:40', '--task', 'regression']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('shardgrad: --task: only applies to --data csv:PATH\n');
  });
});
