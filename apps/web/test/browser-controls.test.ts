import type { Page } from 'playwright-core';
import { HIDDEN_ACTIVATIONS, OPTIMIZERS } from '@shardgrad/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATASET_DEFAULTS } from '../src/app/defaults.js';
import { MNIST_PACK_FILE } from '../src/data/mnist-pack.js';
import { isolatedDemoPage, numberOf, runBrowser } from './browser-harness.js';

/** The form's controls in Chromium: each data set's own defaults, the step delay, the packed digits. */
const demo = isolatedDemoPage();
const errors = demo.errors;
let page: Page;
beforeAll(() => {
  page = demo.page();
});

const form = () =>
  page.evaluate(() => {
    const v = (id: string) => (document.getElementById(id) as HTMLInputElement).value;
    return { hidden: v('hidden'), activation: v('activation'), optimizer: v('optimizer'), lr: Number(v('lr')), batch: Number(v('batch')) };
  });

describe.runIf(runBrowser)('the playground form', () => {
  it('its activation and optimizer selects list the registries (index.html holds only the first choice)', async () => {
    const options = (id: string) => page.evaluate((i) => Array.from((document.getElementById(i) as HTMLSelectElement).options, (o) => o.value), id);
    expect(await options('activation')).toEqual([...HIDDEN_ACTIVATIONS]);
    expect(await options('optimizer')).toEqual([...OPTIMIZERS]);
  });

  it('picking a data set puts its own defaults in the form, and the digits come from the packed file', async () => {
    expect(await form()).toEqual(DATASET_DEFAULTS.spiral);
    await page.selectOption('#dataset', 'mnist');
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    expect(await form()).toEqual({ hidden: '32', activation: 'relu', optimizer: 'sgd', lr: 0.1, batch: 32 });
    // 784·32 + 32 + 32·10 + 10 parameters: the form's layers were used
    expect(await page.textContent('#setup-line')).toContain('25450 parameters');
    const fetched = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
    expect(fetched).toContain(`/${MNIST_PACK_FILE}`);
    expect(fetched.filter((p) => p.endsWith('.json'))).toEqual([]);
    await page.selectOption('#dataset', 'xor');
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    expect(await form()).toEqual(DATASET_DEFAULTS.xor);
  });

  it('the step delay slider shows its value, and training still stops at a step count with it on', async () => {
    await page.fill('#delay', '40');
    await page.dispatchEvent('#delay', 'input');
    expect(await page.textContent('#delay-value')).toBe('40 ms');
    const t0 = await numberOf(page, '#stat-step');
    await page.click('#play');
    await page.waitForFunction((n) => Number(document.getElementById('stat-step')?.textContent) >= n, t0 + 5, { timeout: 60_000 });
    await page.click('#play');
    expect(await numberOf(page, '#stat-step')).toBeGreaterThanOrEqual(t0 + 5);
    expect(errors).toEqual([]);
  });

  it('after pause and after step, every panel shows one step number (three pauses, then a step)', async () => {
    await page.selectOption('#dataset', 'spiral');
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    await page.fill('#delay', '0');
    await page.dispatchEvent('#delay', 'input');
    const shown = () =>
      page.evaluate(() => {
        const text = (sel: string) => document.querySelector(sel)?.textContent ?? '';
        const at = (re: RegExp, s: string) => Number(re.exec(s)?.[1] ?? NaN);
        return [
          Number(text('#stat-step')),
          at(/@(\d+)/, text('#stat-theta')),
          Number((document.getElementById('grad-panel') as HTMLElement).dataset.step),
          at(/step (\d+)/, text('.grad-card[data-role="update"] figcaption')),
          at(/^step (\d+)/, text('#grad-caption')),
          at(/^step (\d+):/, text('#tree-step')),
          Number((document.getElementById('tree-values') as HTMLElement).dataset.step),
          // the x axes' last step of the loss and noise charts
          Number((document.getElementById('loss-chart') as HTMLElement).dataset.step),
          Number((document.getElementById('noise-chart') as HTMLElement).dataset.step),
        ];
      });
    const settled = async () => {
      await page.waitForFunction(() => {
        const text = (sel: string) => document.querySelector(sel)?.textContent ?? '';
        const t = text('#stat-step');
        return text('#stat-theta').endsWith(`@${t}`) && (document.getElementById('grad-panel') as HTMLElement).dataset.step === t && text('#grad-caption').startsWith(`step ${t},`);
      }, undefined, { timeout: 10_000 });
      // and it stays so: two more frames draw nothing else
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const steps = await shown();
      expect(new Set(steps).size, String(steps)).toBe(1);
      return steps[0];
    };
    for (let i = 0; i < 3; i++) {
      const t0 = await numberOf(page, '#stat-step');
      await page.click('#play');
      await page.waitForFunction((n) => Number(document.getElementById('stat-step')?.textContent) >= n, t0 + 30 + 7 * i, { timeout: 60_000 });
      await page.click('#play');
      await page.waitForSelector('body[data-playing="false"]');
      await settled();
    }
    const t = await settled();
    await page.click('#step');
    await page.waitForFunction((n) => document.getElementById('stat-step')?.textContent === String(n), t + 1);
    expect(await settled()).toBe(t + 1);
    expect(errors).toEqual([]);
  });

  it('the reduction tree: V = 16 shards, 2 workers, each worker’s published node ringed, drawn', async () => {
    expect(await page.textContent('#tree-step')).toMatch(/^step \d+: V = 16 shards, 2 workers, B = 32$/);
    expect(await page.locator('#tree-legend span').allTextContents()).toEqual(['worker 0', 'worker 1', 'top: per slice']);
    // the step's tree has filled in (it is animated bottom-up after a step), and the values of its sums are there
    await page.waitForSelector('#tree[data-progress="1"]');
    // some pixels of the canvas are painted in each worker's colour (#1b9e77 and #d95f02) and in the top's grey
    const painted = await page.evaluate(() => {
      const c = document.getElementById('tree') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const near = (r: number, g: number, b: number) => {
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 12 && d[i + 3] > 200) n++;
        return n;
      };
      return [near(0x1b, 0x9e, 0x77), near(0xd9, 0x5f, 0x02), near(0x9a, 0xa3, 0xab)];
    });
    expect(painted.every((n) => n > 20), String(painted)).toBe(true);
  });

  it('every heat map has a colour legend; the selects show their whole text', async () => {
    const cards = await page.locator('.grad-card').count();
    expect(cards).toBe(4); // 2 workers, the average, the update
    expect(await page.locator('.grad-card .legend .legend-bar').count()).toBe(cards);
    expect(await page.isVisible('#boundary-legend .legend-bar')).toBe(true);
    expect(await page.textContent('#boundary-legend')).toContain('P(blue)');
    expect(await page.isVisible('#network-legend .legend-bar')).toBe(true);
    const labels = await page.locator('.grad-card[data-role="average"] .legend-labels span').allTextContents();
    expect(labels[1]).toBe('0');
    expect(labels[0]).toMatch(/^−\d/);
    // the longest option of each select fits inside it (its text plus the arrow)
    const cut = await page.evaluate(() =>
      ['skips', 'lr-scale', 'dataset', 'activation', 'optimizer'].filter((id) => {
        const sel = document.getElementById(id) as HTMLSelectElement;
        const ctx = document.createElement('canvas').getContext('2d')!;
        ctx.font = getComputedStyle(sel).font;
        const widest = Math.max(...Array.from(sel.options, (o) => ctx.measureText(o.text).width));
        return widest + 20 > sel.clientWidth;
      }),
    );
    expect(cut).toEqual([]);
  });

  it('mnist: the first layer’s weights as 28 × 28 receptive fields of 16 chosen units', async () => {
    await page.selectOption('#dataset', 'mnist');
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    await page.click('#step');
    await page.waitForFunction(() => (document.getElementById('grad-panel') as HTMLElement).dataset.step === document.getElementById('stat-step')?.textContent);
    expect(await page.isVisible('#grad-units')).toBe(true);
    expect(await page.locator('#grad-units option').allTextContents()).toEqual(['0–15', '16–31']);
    // 4 × 4 tiles of 28 × 28 with one blank line between them: 4·29 − 1 = 115 cells a side
    const size = await page.evaluate(() => {
      const c = document.querySelector('.grad-card[data-role="average"] canvas') as HTMLCanvasElement;
      return [c.width, c.height];
    });
    expect(size).toEqual([115, 115]);
    expect(await page.textContent('#grad-caption')).toContain('units 0–15 as 28 × 28 receptive fields');
    await page.selectOption('#grad-units', '16');
    await page.waitForFunction(() => document.getElementById('grad-caption')?.textContent?.includes('units 16–31'));
    expect(errors).toEqual([]);
  });
});

