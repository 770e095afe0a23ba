import { makeSynthetic } from '@shardgrad/coordinator/run';
import { describe, expect, it } from 'vitest';
import { PLANE_DATASETS } from '../src/data/dataset.js';
import { planeDataset, planeExtent } from '../src/data/plane-datasets.js';

describe('2D datasets of the page', () => {
  it.each(PLANE_DATASETS)('%s: 600 one-hot rows of 2 classes, 480 for training, the same for the same seed', (name) => {
    const a = planeDataset(name, 7);
    expect([a.rows, a.inputs, a.classes, a.trainRows]).toEqual([600, 2, 2, 480]);
    for (let i = 0; i < 600; i++) expect(a.Y[2 * i] + a.Y[2 * i + 1]).toBe(1);
    expect(planeDataset(name, 7).X).toEqual(a.X);
    expect(planeDataset(name, 8).X).not.toEqual(a.X);
  });

  it.each(PLANE_DATASETS)("%s: the CLI's own data set (`--data %s`, two classes), byte for byte", (name) => {
    // one definition for both: the CLI's --data loads makeSynthetic(name, seed, options)
    const page = planeDataset(name, 42);
    const cli = makeSynthetic(name, 42, { classes: 2 });
    expect(Buffer.from(page.X.buffer).equals(Buffer.from(cli.X.buffer))).toBe(true);
    expect(Buffer.from(page.Y.buffer).equals(Buffer.from(cli.Y.buffer))).toBe(true);
    expect(Array.from(cli.trainRows)).toEqual(Array.from({ length: 480 }, (_, i) => i));
  });

  it('the boundary map covers every point with a margin, on a quarter-unit grid', () => {
    for (const name of PLANE_DATASETS) {
      const d = planeDataset(name, 3);
      const e = planeExtent(d);
      let m = 0;
      for (const v of d.X) m = Math.max(m, Math.abs(v));
      expect(e).toBeGreaterThanOrEqual(m * 1.1);
      expect(e).toBeLessThan(m * 1.1 + 0.25);
      expect((e * 4) % 1).toBe(0);
    }
  });
});
