import { describe, expect, it } from 'vitest';
import { lossChart } from '../src/render/loss-chart.js';
import { LossHistory } from '../src/render/loss-history.js';
import { TrainReport } from '../src/render/train-report.js';
import { svgPlot } from '../src/render/svg-plot.js';
import { formatSummary } from '../src/render/summary.js';
import { mlpSpec } from '@shardgrad/core';

describe('lossChart', () => {
  it('draws eighth blocks scaled between the smallest and largest value', () => {
    // 4 values, 2 rows = 16 eighths; height in eighths = 1 + round((v − 0) / 3 · 15): 1, 6, 11, 16
    // top row shows h − 8 (clamped to 0..8): 0, 0, 3, 8; bottom row min(h, 8): 1, 6, 8, 8
    expect(lossChart([0, 1, 2, 3], 60, 2)).toEqual(['3.00 ┤  ▃█', '0.00 ┤▁▆██']);
  });
  it('averages runs of values into at most `width` columns', () => {
    // 6 values into 3 columns: means 2, 5, 2 → eighths 1 + round((v − 2) / 3 · 7): 1, 8, 1
    expect(lossChart([1, 3, 5, 5, 2, 2], 3, 1)).toEqual(['5.00 ┤▁█▁']);
  });
  it('a flat series stays visible; an empty one draws nothing', () => {
    expect(lossChart([2, 2], 10, 1)).toEqual(['2.00 ┤▁▁']);
    expect(lossChart([], 10, 3)).toEqual([]);
  });
});

describe('svgPlot', () => {
  const history = [
    { epoch: 1, trainLoss: 1, valLoss: 1.2, valAccuracy: 0.5 },
    { epoch: 2, trainLoss: 0.5, valLoss: 0.6, valAccuracy: 0.75 },
    { epoch: 3, trainLoss: 0.25, valLoss: 0.5, valAccuracy: 1 },
  ];
  const svg = svgPlot(history);
  const points = (label: string) => new RegExp(`data-series="${label}" points="([^"]+)"`).exec(svg)![1];

  it('puts the loss curves in the left panel, scaled to their common range', () => {
    // plot area x 56..404 (width 348), y 36..240 (height 204); range 0.25..1.2 (span 0.95)
    // train (1, 0.5, 0.25): y = 36 + (1 − (v − 0.25)/0.95)·204 = 78.95, 186.32, 240
    expect(points('train loss')).toBe('56,78.95 230,186.32 404,240');
    // validation (1.2, 0.6, 0.5): y = 36, 36 + (1 − 0.35/0.95)·204 = 164.84, 36 + (1 − 0.25/0.95)·204 = 186.32
    expect(points('validation loss')).toBe('56,36 230,164.84 404,186.32');
  });
  it('puts the accuracy curve in the right panel on a 0–100 % axis', () => {
    // x 476..824; 50 %, 75 %, 100 % → y = 36 + (1 − a)·204 = 138, 87, 36
    expect(points('validation accuracy')).toBe('476,138 650,87 824,36');
  });
  it('is one standalone SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="840" height="280"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });
});

describe('LossHistory', () => {
  it('keeps every loss while there are fewer steps than points', () => {
    const h = new LossHistory(4);
    [0.5, 0.25, 2].forEach((v) => h.add(v));
    expect(h.points()).toEqual([0.5, 0.25, 2]);
  });

  it('merges pairs when full: each point the mean of its steps, the last one of the steps since', () => {
    const h = new LossHistory(4);
    const after: number[][] = [];
    for (let v = 1; v <= 9; v++) {
      h.add(v);
      after.push(h.points());
    }
    // by hand: 1..4 fill the four points, which merge into (1+2)/2, (3+4)/2; 5, 6 share a point; 1..8 → means of 1..4 and 5..8
    expect(after[3]).toEqual([1.5, 3.5]);
    expect(after[4]).toEqual([1.5, 3.5, 5]);
    expect(after[5]).toEqual([1.5, 3.5, 5.5]);
    expect(after[7]).toEqual([2.5, 6.5]);
    expect(after[8]).toEqual([2.5, 6.5, 9]);
  });

  it('stays within its points for a million steps', () => {
    const h = new LossHistory(64);
    for (let s = 0; s < 1_000_000; s++) h.add(s % 2 === 0 ? 1 : 3);
    const p = h.points();
    expect(p.length).toBeLessThanOrEqual(64);
    expect(p.length).toBeGreaterThanOrEqual(32);
    expect(p.every((v) => v === 2)).toBe(true); // every point spans an even number of steps here
  });
});

describe('TrainReport', () => {
  it('takes a billion epochs without allocating for them, and keeps the losses this run computed', () => {
    const lines: string[] = [];
    const report = new TrainReport('lines', 1e9, 1000, true, (t) => lines.push(t));
    const step = (s: number, loss: number) => report.step({ epoch: 1, step: s, loss, samplesPerSec: 1, elapsedMs: 1 } as never, s);
    step(7, 0.75);
    step(8, NaN);
    step(9, 0.5);
    expect(report.recordedLosses()).toEqual([0.75, 0.5]);
  });
});

describe('formatSummary', () => {
  const result = {
    spec: mlpSpec([2, 4, 2], 'relu', 'softmax', 'ce'),
    params: new Float32Array(22),
    preprocess: { kind: 'none' as const },
    history: [],
    steps: 30,
    wallMs: 1500,
    workerRetries: 0,
    kernel: 'wasm',
    workers: 1,
    comm: { sentBytes: 51_840, receivedBytes: 2_500_000, exchanges: 30 },
  };
  const facts = { result, dataName: 'spiral', samples: 960, workers: 1, stepLosses: [], classification: true, batch: 32 };

  it('under MPI, a line with what this rank moved (kB below a megabyte, MB above) and its exchanges', () => {
    const lines = formatSummary({ ...facts, ranks: 2 }).split('\n');
    expect(lines).toContain('between ranks, this rank: 51.8 kB sent, 2.5 MB received in 30 exchanges');
  });

  it('in one process, no such line (the JSON summary says 0)', () => {
    expect(formatSummary(facts)).not.toContain('between ranks');
  });
});
