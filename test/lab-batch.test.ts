import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, jsonLines, runCli, tempDir } from './cli-helpers.js';

const dir = tempDir('lab');
const plot = path.join(dir, 'frontier.svg');
// blobs:600 → 480 training rows; a 2-8-3 net; three batch sizes; a loss window of 64 examples
const lab = ['lab', 'batch', '--data', 'blobs:600', '--hidden', '8', '--batches', '4,16,64', '--target-loss', '0.3', '--window', '64', '--warmup-examples', '64', '--noise-batch', '100', '--noise-batches', '2', '--noise-shards', '4'];

describe('shardgrad lab batch on a small set', () => {
  const r = runCli([...lab, '--json', '--plot', plot]);
  const lines = jsonLines(r.stdout);
  const of = (type: string) => lines.filter((l) => l.type === type);

  it('runs every batch size, fits the frontier and measures B_simple at the target', () => {
    expect(r.status, r.stderr).toBe(0);
    const batches = of('batch');
    expect(batches.map((b) => b.batch)).toEqual([4, 16, 64]);
    for (const b of batches) {
      expect(b.steps as number).toBeGreaterThan(0);
      expect(b.examples).toBe((b.steps as number) * (b.batch as number));
      expect(b.bSimple).toBeCloseTo((b.traceSigma as number) / (b.gradSq as number), 12);
    }
    // steps fall as the batch grows; examples grow
    expect(batches[0].steps as number).toBeGreaterThan(batches[2].steps as number);
    expect(batches[0].examples as number).toBeLessThan(batches[2].examples as number);
    const [summary] = of('summary');
    expect(summary.bCrit).toBeCloseTo((summary.eMin as number) / (summary.sMin as number), 12);
    expect(summary.sMin as number).toBeGreaterThan(0);
    // the mean B_simple is mean tr(Σ) / mean |G|² over the batch sizes' models
    const sum = (k: string) => batches.reduce((a, b) => a + (b[k] as number), 0);
    expect(summary.bSimple).toBeCloseTo(sum('traceSigma') / sum('gradSq'), 12);
    expect(of('linear').map((l) => l.batch)).toEqual([4, 16, 64]);
    // the linear-scaling runs: η = η(4)·B/4, and the warmup run warms up over ⌈64/B⌉ steps
    const eta4 = batches[0].lr as number;
    for (const l of of('linear')) {
      expect(l.lr).toBeCloseTo((eta4 * (l.batch as number)) / 4, 12);
      expect((l.warmup as { warmupSteps: number }).warmupSteps).toBe(Math.ceil(64 / (l.batch as number)));
    }
    const svg = readFileSync(plot, 'utf8');
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('B_crit = ');
    expect(svg).toContain('B=16');
  });

  it('a lab run is the run shardgrad train makes with those settings: the same minibatch loss at the step it stopped after', () => {
    const run = of('run').find((l) => l.batch === 16 && l.outcome === 'reached' && (l.warmupSteps as number) === 0)!;
    expect(run).toBeDefined();
    const t = run.stoppedAt as number;
    // 480 rows / 16 = 30 steps an epoch
    const train = runCli(['train', '--data', 'blobs:600', '--hidden', '8', '--batch', '16', '--lr', String(run.lr), '--shards', '8', '--epochs', String(Math.ceil(t / 30)), '--workers', '2', '--out', path.join(dir, 'same.sgm'), '--json']);
    expect(train.status, train.stderr).toBe(0);
    const step = jsonLines(train.stdout).find((l) => l.type === 'step' && l.step === t)!;
    expect(step.loss).toBe(run.lastLoss);
  });

  it('the text report: the table, B_crit beside B_simple, the chart', () => {
    const text = runCli(lab);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/B_crit = E_min\/S_min = \d+ +B_simple at the target/);
    expect(text.stdout).toContain('examples E (log–log)');
    expect(text.stdout).toMatch(/^ +16 +[\d.]+ +\d+ +\d+ +\d+ /m);
  });

  it('bad flags: one line naming the flag, exit 2', () => {
    const with_ = (flag: string, value: string) => lab.map((a, i) => (lab[i - 1] === flag ? value : a));
    expectOneLineError(runCli(with_('--batches', '4,0')), /--batches/);
    expectOneLineError(runCli(with_('--batches', '4,1000')), /--batches: 1000 is larger than the 480 training rows/);
    expectOneLineError(runCli(with_('--noise-shards', '1')), /--noise-shards/);
    expectOneLineError(runCli(with_('--target-loss', '-1')), /--target-loss/);
    expectOneLineError(runCli(['lab']), /name an experiment/);
  });
});
