import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { partialView, planTree } from '@shardgrad/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { planeDataset } from '../src/data/plane-datasets.js';
import { pageRunInNode } from './node-engine.js';
import { isolatedDemoPage, numberOf, runBrowser, WEB_ROOT } from './browser-harness.js';

const ARTIFACTS = path.resolve(WEB_ROOT, '../../artifacts');

/**
 * Steps of (batch, lr) on the page's spiral run, built in Node (2 workers in this thread): every
 * published subtree sum of the last step, copied from the run's memory between its phases
 * (partialView: the workers' partial slots), its ḡ, and the smoothed B_simple after it.
 */
async function engineStep(steps: readonly (readonly [number, number])[]): Promise<{ published: Float32Array[]; avgGrad: Float32Array; bSimple: number }> {
  const { run, engine } = await pageRunInNode(planeDataset('spiral', 42), [16, 16], 'relu', 'adam');
  let published: Float32Array[] = [];
  engine.between = (t) => {
    if (t !== steps.length) return;
    const { layout, memory } = engine.ctx;
    published = planTree(layout.V, 2).workers.flatMap((wp, w) => wp.published.map((n) => partialView(memory, layout, w, n.slot).slice()));
  };
  let bSimple = NaN;
  for (const [batch, lr] of steps) bSimple = (await run.step({ batch, lr })).step.noiseEma?.bSimple ?? NaN;
  const avgGrad = run.views.avgGrad.slice();
  await run.close();
  return { published, avgGrad, bSimple };
}

/** The tree panel's table: one row per stored sum, its value exactly (data-value). */
const tableRows = (page: Page) =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLTableRowElement>('#tree-values tr[data-kind]'), (tr) => ({
      kind: tr.dataset.kind!,
      lo: Number(tr.dataset.lo),
      hi: Number(tr.dataset.hi),
      value: Number(tr.dataset.value),
    })),
  );

const f32 = (x: number) => Math.fround(x);

const demo = isolatedDemoPage();
const errors = demo.errors;
let page: Page;
beforeAll(() => {
  page = demo.page();
});

describe.runIf(runBrowser)('the reduction tree with the engine’s numbers, and the noise chart', () => {
  it('the tree panel shows, for a step, the published sums and the root of the engine, bit for bit', async () => {
    expect(await page.textContent('#setup-line')).toMatch(/^2 workers, 16 virtual shards, 354 parameters, .*wasm-relaxed kernels$/);
    // 3 steps of 32, then one of 20 (shards of 2, 2, 2, 2 and twelve of 1: worker 0 has 12 rows, worker 1 has 8)
    const steps: [number, number][] = [[32, 0.03], [32, 0.03], [32, 0.03], [20, 0.03]];
    for (const [k, [batch]] of steps.entries()) {
      await page.fill('#batch', String(batch));
      await page.dispatchEvent('#batch', 'change');
      await page.click('#step');
      await page.waitForFunction((n) => document.getElementById('tree-values')?.dataset.step === String(n), k + 1);
    }
    const engine = await engineStep(steps);
    // V = 16 over 2 workers: worker 0 publishes shards 0–7, worker 1 shards 8–15; the root adds them
    expect(engine.published.length).toBe(2);
    const check = async (p: number) => {
      expect(await page.getAttribute('#tree-values', 'data-param')).toBe(String(p));
      const rows = await tableRows(page);
      expect(rows.map((r) => [r.kind, r.lo, r.hi])).toEqual([
        ['root', 0, 16],
        ['published', 0, 8],
        ['published', 8, 16],
        ['avg', NaN, NaN],
      ]);
      // Object.is: the same float, -0 and NaN included
      expect(Object.is(rows[1].value, engine.published[0][p])).toBe(true);
      expect(Object.is(rows[2].value, engine.published[1][p])).toBe(true);
      const root = f32(engine.published[0][p] + engine.published[1][p]);
      expect(Object.is(rows[0].value, root)).toBe(true);
      // ḡ as the engine stored it is the root scaled by 1/B in float32, and the panel shows those bits
      expect(Object.is(f32(root * (1 / 20)), engine.avgGrad[p])).toBe(true);
      expect(Object.is(rows[3].value, engine.avgGrad[p])).toBe(true);
      expect(rows[0].value, JSON.stringify([p, rows])).not.toBe(0); // a parameter with a gradient
    };
    // by default, the parameter with the largest |ḡ| of the step: the engine's ḡ says which
    let p0 = 0;
    for (let i = 1; i < engine.avgGrad.length; i++) if (Math.abs(engine.avgGrad[i]) > Math.abs(engine.avgGrad[p0])) p0 = i;
    expect(await page.inputValue('#tree-param')).toBe('');
    await check(p0);
    expect(await page.textContent('#tree-param-name')).toMatch(new RegExp(`· #${p0} · the largest \\|ḡ\\|$`));
    // another one, typed in: W²[3→5] (layer 2's weights start after W¹ (2·16) and b¹ (16): 48 + 3·16 + 5)
    await page.fill('#tree-param', String(48 + 3 * 16 + 5));
    await page.dispatchEvent('#tree-param', 'change');
    await page.waitForFunction(() => document.getElementById('tree-values')?.dataset.param === '101');
    expect(await page.textContent('#tree-param-name')).toBe('W²[3→5] · #101');
    await check(101);
    expect(await page.textContent('#tree-values caption')).toContain('28 more nodes'); // 31 nodes of a tree over 16 leaves, 3 stored
    // the noise chart's point for step 4 is the engine's smoothed B_simple of the same run, bit for bit
    expect(Number.isFinite(engine.bSimple)).toBe(true);
    expect(Object.is(Number(await page.getAttribute('#noise-chart', 'data-last')), engine.bSimple)).toBe(true);
    expect(errors).toEqual([]);
  });

  it('the B_simple chart: finite points after some steps; the batch slider moves the batch line and the reading', async () => {
    await page.fill('#batch', '32');
    await page.dispatchEvent('#batch', 'change');
    expect(await page.inputValue('#noise-batch')).toBe('5');
    const t0 = await numberOf(page, '#stat-step');
    await page.click('#play');
    await page.waitForFunction((n) => Number(document.getElementById('stat-step')?.textContent) >= n, t0 + 60, { timeout: 60_000 });
    await page.click('#play');
    await page.waitForSelector('body[data-playing="false"]');
    await page.waitForFunction(() => Number(document.getElementById('noise-chart')?.dataset.points) > 0);
    const reading = (await page.textContent('#noise-reading')) ?? '';
    const b = Number(/B_simple ≈ ([\d.]+)/.exec(reading)?.[1]);
    expect(Number.isFinite(b) && b > 0, reading).toBe(true);
    expect(reading).toContain('batch B = 32');
    // 2^8 = 256 on the slider: the form's batch, the next steps and the reading follow
    await page.fill('#noise-batch', '8');
    await page.dispatchEvent('#noise-batch', 'input');
    await page.dispatchEvent('#noise-batch', 'change');
    expect(await page.inputValue('#batch')).toBe('256');
    expect(await page.textContent('#noise-batch-value')).toBe('256');
    // a step of 256 rows (the epoch's last batch may be shorter: then the next one, of a new epoch, is whole)
    const t1 = await numberOf(page, '#stat-step');
    const shownBatches: number[] = [];
    for (let k = 1; k <= 2 && shownBatches.at(-1) !== 256; k++) {
      await page.click('#step');
      await page.waitForFunction((n) => document.getElementById('tree-step')?.textContent?.startsWith(`step ${n}: `), t1 + k);
      shownBatches.push(Number(/B = (\d+)$/.exec((await page.textContent('#tree-step')) ?? '')?.[1]));
    }
    expect(shownBatches.at(-1), String(shownBatches)).toBe(256);
    await page.waitForFunction(() => document.getElementById('noise-reading')?.textContent?.includes('batch B = 256'));
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-demo-tree-noise.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
