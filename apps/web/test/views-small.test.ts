import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseSettings, type RawSettings } from '../src/app/settings.js';
import { Throughput } from '../src/app/throughput.js';
import { withTimeout } from '../src/training/call-timeout.js';
import { divergingRgb, maxAbs } from '../src/views/color-map.js';
import { fingerprint } from '../src/views/fingerprint.js';
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
