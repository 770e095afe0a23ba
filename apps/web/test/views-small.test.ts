import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseSettings, type RawSettings } from '../src/app/settings.js';
import { Throughput } from '../src/app/throughput.js';
import { withTimeout } from '../src/training/call-timeout.js';
import { divergingRgb, maxAbs } from '../src/views/color-map.js';
import { fingerprint } from '../src/views/fingerprint.js';
import { parseLrSchedule, stepRate } from '../src/app/lr-schedule.js';
import { probabilityLegend, signedLegend } from '../src/views/legend-model.js';
import { imageSide, receptiveFields } from '../src/views/receptive-field-model.js';
import { reductionTree } from '../src/views/tree-model.js';
import { networkLayout } from '../src/views/network-model.js';
import { SeriesHistory, yRange } from '../src/views/series-history.js';

describe('colour map', () => {
  const rgb = (v: number) => {
    const c = [0, 0, 0];
    divergingRgb(v, c);
    return c;
  };
  it('runs orange → near-white → blue, linearly, clamped', () => {
    expect(rgb(-1)).toEqual([245, 147, 34]);
    expect(rgb(0)).toEqual([232, 234, 235]);
    expect(rgb(1)).toEqual([8, 119, 189]);
    expect(rgb(0.5)).toEqual([120, 177, 212]); // (232+8)/2, (234+119)/2 = 176.5 → 177, (235+189)/2
    expect(rgb(3)).toEqual(rgb(1));
    expect(maxAbs([Float32Array.from([1, -3]), [2]])).toBe(3);
  });
});

describe('series history', () => {
  it('merges neighbouring pairs when full', () => {
    const s = new SeriesHistory(4);
    for (let i = 1; i <= 5; i++) s.push(i, 10 * i);
    expect(s.xs).toEqual([1.5, 3.5, 5]);
    expect(s.ys).toEqual([15, 35, 50]);
    expect(s.last).toBe(50);
  });
  it('scales a flat series to ±0.5 and an empty one to [0, 1]', () => {
    const s = new SeriesHistory(4);
    expect(yRange([s])).toEqual([0, 1]);
    s.push(0, 2);
    s.push(1, 2);
    expect(yRange([s])).toEqual([1.5, 2.5]);
  });
});

describe('network layout', () => {
  it('spaces layers and units evenly', () => {
    // w 200, h 100, margin 20, gap 28 (fits: (100 − 40)/2 = 30): columns 20, 100, 180; 3 units at 22, 50, 78
    const n = networkLayout([2, 3, 1], 200, 100, 16, 20, 28);
    expect(n.nodes.map((l) => l.map((u) => [u.x, u.y]))).toEqual([
      [
        [20, 36],
        [20, 64],
      ],
      [
        [100, 22],
        [100, 50],
        [100, 78],
      ],
      [[180, 50]],
    ]);
    expect(n.hidden).toEqual([0, 0, 0]);
  });
  it('draws at most maxUnits of a wide layer', () => {
    const n = networkLayout([784, 5], 200, 600, 16);
    expect(n.nodes[0]).toHaveLength(16);
    expect(n.hidden).toEqual([768, 0]);
  });
});

describe('settings form', () => {
  const raw: RawSettings = { dataset: 'spiral', hidden: '16, 8', activation: 'relu', optimizer: 'adam', lr: '0.03', batch: '32', workers: '2', skips: 'none' };
  it('parses a valid form', () => {
    expect(parseSettings(raw, 4)).toEqual({ dataset: 'spiral', hidden: [16, 8], activation: 'relu', optimizer: 'adam', lr: 0.03, batch: 32, workers: 2, skips: false });
    expect(parseSettings({ ...raw, skips: 'all' }, 4).skips).toBe(true);
    expect(parseSettings({ ...raw, hidden: '' }, 4).hidden).toEqual([]);
  });
  it('weight decay: empty leaves the optimizer its own; a value is checked by the settings schema', () => {
    expect('weightDecay' in parseSettings({ ...raw, weightDecay: ' ' }, 4)).toBe(false);
    expect(parseSettings({ ...raw, optimizer: 'adamw', weightDecay: '0.05' }, 4)).toMatchObject({ optimizer: 'adamw', weightDecay: 0.05 });
    expect(() => parseSettings({ ...raw, weightDecay: '-1' }, 4)).toThrow('weight decay: must be a non-negative number, got -1');
  });
  it('sync: the CLI\'s --sync and --replicas (step: none; local: local:H over the page\'s 16 shards; hogwild)', () => {
    expect('sync' in parseSettings({ ...raw, sync: 'step', every: '4', replicas: '4' }, 4)).toBe(false);
    expect('sync' in parseSettings(raw, 4)).toBe(false);
    expect(parseSettings({ ...raw, sync: 'local', every: '8', replicas: '4' }, 4, 16).sync).toEqual({ kind: 'local', every: 8, replicas: 4 });
    expect(parseSettings({ ...raw, sync: 'hogwild', every: '8', replicas: '4' }, 4, 16).sync).toEqual({ kind: 'hogwild' });
    expect(() => parseSettings({ ...raw, sync: 'local', every: '0', replicas: '4' }, 4, 16)).toThrow('sync: local:H needs H a positive integer (steps between averages), got "local:0"');
    expect(() => parseSettings({ ...raw, sync: 'local', every: '4', replicas: '17' }, 4, 16)).toThrow('replicas: 17 is more than the 16 virtual shards');
    expect(() => parseSettings({ ...raw, sync: 'local', every: '4', replicas: '' }, 4, 16)).toThrow(/^replicas: /);
    expect(() => parseSettings({ ...raw, sync: 'ring' }, 4, 16)).toThrow('sync: unknown choice "ring" (step, local or hogwild)');
  });
  it('names the field in a one-line error', () => {
    expect(() => parseSettings({ ...raw, hidden: '8,x' }, 4)).toThrow('hidden layers: "8,x": up to 4 comma-separated sizes, integers 1…256');
    expect(() => parseSettings({ ...raw, lr: '-1' }, 4)).toThrow('learning rate: must be a positive number, got -1');
    expect(() => parseSettings({ ...raw, batch: '2.5' }, 4)).toThrow('batch size: must be a positive integer, got 2.5');
    expect(() => parseSettings({ ...raw, batch: '2048' }, 4)).toThrow("batch size: 2048 is more than the page's 1024");
    expect(() => parseSettings({ ...raw, workers: '3' }, 2)).toThrow('workers: "3": must be an integer 1…2');
    expect(() => parseSettings({ ...raw, activation: 'softmax' }, 2)).toThrow('activation: must be one of sigmoid, relu, tanh, identity, gelu, gelu-tanh, got "softmax"');
    expect(() => parseSettings({ ...raw, skips: 'some' }, 2)).toThrow('connections: unknown choice "some" (none or all)');
  });
});

describe('samples per second', () => {
  it('reports a window once it is at least 500 ms long', () => {
    const t = new Throughput(0);
    t.add(100, 200);
    expect(t.rate).toBe(0);
    t.add(150, 500); // 250 samples in 0.5 s
    expect(t.rate).toBe(500);
  });
});

describe('call timeout', () => {
  afterEach(() => vi.useRealTimers());
  it('rejects a call that never settles, naming it', async () => {
    vi.useFakeTimers();
    const p = withTimeout(new Promise<number>(() => {}), 1000, 'worker 1 gradients');
    const check = expect(p).rejects.toThrow('worker 1 gradients: no answer from the worker after 1000 ms');
    await vi.advanceTimersByTimeAsync(1000);
    await check;
  });
  it('passes a settled call through and clears its timer', async () => {
    vi.useFakeTimers();
    await expect(withTimeout(Promise.resolve(5), 1000, 'x')).resolves.toBe(5);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('parameter fingerprint', () => {
  it('is FNV-1a of the float32 bytes', () => {
    // python: h = 0x811c9dc5; for b in b''.join(struct.pack('<f', v) for v in vals): h = ((h ^ b) * 0x01000193) & 0xffffffff
    expect(fingerprint(new Float32Array(0))).toBe('811c9dc5');
    expect(fingerprint(Float32Array.from([1]))).toBe('1b587698');
    expect(fingerprint(Float32Array.from([1, -2.5, 0.1]))).toBe('cecaf2f6');
    expect(fingerprint(Float32Array.from([9, 1, -2.5, 0.1]).subarray(1))).toBe('cecaf2f6');
  });
});

describe('warmup and batch scaling in the page (core learningRate)', () => {
  it('parses the fields and gives hand-worked rates', () => {
    const s = parseLrSchedule({ warmup: '4', scale: 'linear', baseBatch: '32' });
    // η 0.1 at batch 64 from B0 32 → 0.2; step 1 of a 4-step warmup → 0.05
    expect(stepRate(s, 0.1, 64, 1)).toBeCloseTo(0.05, 15);
    expect(stepRate(s, 0.1, 64, 10)).toBeCloseTo(0.2, 15);
    expect(stepRate(parseLrSchedule({ warmup: '0', scale: 'none', baseBatch: '32' }), 0.1, 64, 0)).toBe(0.1);
    expect(stepRate(parseLrSchedule({ warmup: '', scale: 'sqrt', baseBatch: '16' }), 0.1, 64, 3)).toBeCloseTo(0.2, 15);
    expect(() => parseLrSchedule({ warmup: '-1', scale: 'none', baseBatch: '32' })).toThrow(/^lr warmup: /);
    expect(() => parseLrSchedule({ warmup: '0', scale: 'cubic', baseBatch: '32' })).toThrow(/^lr scale: /);
    expect(() => parseLrSchedule({ warmup: '0', scale: 'linear', baseBatch: '0' })).toThrow(/^batch B0: /);
    // without a rule the B0 field is not used
    expect(parseLrSchedule({ warmup: '0', scale: 'none', baseBatch: '0' })).toEqual({ lrWarmup: 0, lrScale: 'none' });
  });
});

describe('receptive fields and legends', () => {
  it('tiles each unit’s weights from a square image input, blank lines between tiles', () => {
    expect(imageSide(784)).toBe(28);
    expect(imageSide(2)).toBe(0);
    expect(imageSide(100)).toBe(10);
    // W: 64 inputs (8 × 8) × 3 units, W[p][j] = 100·j + p
    const W = Float32Array.from({ length: 64 * 3 }, (_, i) => 100 * (i % 3) + Math.floor(i / 3));
    const m = receptiveFields(W, 64, 3, [0, 2], 2);
    expect([m.rows, m.cols]).toEqual([8, 17]);
    // unit 0's pixel (row 1, col 2) = input 10; unit 2's pixel (row 7, col 7) = 200 + 63
    expect(m.values[1 * 17 + 2]).toBe(10);
    expect(m.values[7 * 17 + 9 + 7]).toBe(263);
    expect(m.values[3 * 17 + 8]).toBeNaN(); // the gap
    const four = receptiveFields(W, 64, 3, [0, 1, 2], 2); // two rows of tiles, the last one half empty
    expect([four.rows, four.cols]).toEqual([17, 17]);
    expect(four.values[9 * 17 + 0]).toBe(200);
    expect(four.values[9 * 17 + 9]).toBeNaN();
  });
  it('a legend names both ends of the scale with the map’s own colours', () => {
    const l = signedLegend('ḡ', 0.0123);
    expect(l.labels).toEqual(['−1.2e-2', '0', '+1.2e-2']);
    expect(l.gradient).toBe('linear-gradient(to right, rgb(245,147,34), rgb(232,234,235), rgb(8,119,189))');
    expect(probabilityLegend('P(blue)', 0.7).labels).toEqual(['0', '0.5', '1']);
  });
});

describe('the reduction tree as drawn', () => {
  it('V = 4, W = 2: ((0+1)+(2+3)); each worker publishes its pair, the root is the top', () => {
    const t = reductionTree(4, 2, [8, 8, 8, 8], 200, 100, 10);
    expect(t.depth).toBe(2);
    expect(t.nodes.map((n) => [n.lo, n.hi, n.owner, n.published])).toEqual([
      [0, 4, -1, false],
      [0, 2, 0, true],
      [0, 1, 0, false],
      [1, 2, 0, false],
      [2, 4, 1, true],
      [2, 3, 1, false],
      [3, 4, 1, false],
    ]);
    // leaves evenly spaced: x = 10 + (s + ½)/4·180; parents over the middle of their children
    expect(t.nodes.filter((n) => n.hi - n.lo === 1).map((n) => n.x)).toEqual([32.5, 77.5, 122.5, 167.5]);
    expect(t.nodes[1].x).toBe(55);
    expect(t.nodes[0].x).toBe(100);
    expect([t.nodes[0].y, t.nodes[1].y, t.nodes[2].y]).toEqual([10, 50, 90]);
    expect(t.nodes[0].rows).toBe(32);
  });
  it('V = 5, W = 2: worker 0 has shards 0–2 and publishes [0,2) and [2,3); [2,4) is in the top', () => {
    const t = reductionTree(5, 2, [3, 3, 2, 2, 2], 200, 100);
    const node = (lo: number, hi: number) => t.nodes.find((n) => n.lo === lo && n.hi === hi)!;
    expect(t.depth).toBe(3);
    expect([node(0, 2).owner, node(0, 2).published, node(2, 3).owner, node(2, 3).published]).toEqual([0, true, 0, true]);
    expect([node(3, 4).owner, node(4, 5).owner, node(4, 5).published]).toEqual([1, 1, true]);
    expect([node(2, 4).owner, node(0, 4).owner, node(0, 5).owner]).toEqual([-1, -1, -1]);
    // shard 4 is a child of the root, yet drawn on the leaves' line
    expect(node(4, 5).y).toBe(node(0, 1).y);
    expect(node(0, 5).rows).toBe(12);
    expect(node(0, 5).x).toBe((node(0, 4).x + node(4, 5).x) / 2);
  });
});
