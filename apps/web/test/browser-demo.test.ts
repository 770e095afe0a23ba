import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, numberOf, openDemo, startServer, WEB_ROOT } from './browser-harness.js';

const ARTIFACTS = path.resolve(WEB_ROOT, '../../artifacts');

/** Red and blue of every 8th pixel of every 8th row of the boundary canvas (a 40 × 40 sample). */
async function boundaryPixels(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const c = document.getElementById('boundary') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const out: number[] = [];
    for (let y = 4; y < c.height; y += 8) for (let x = 4; x < c.width; x += 8) out.push(d[4 * (y * c.width + x)], d[4 * (y * c.width + x) + 2]);
    return out;
  });
}

describe('browser demo, cross-origin isolated (vite dev server with COOP/COEP)', () => {
  let server: ViteDevServer;
  let url: string;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    ({ server, url } = await startServer(true));
    browser = await launchBrowser();
    page = await openDemo(browser, url, errors);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('is cross-origin isolated and offers shared memory', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.evaluate(() => typeof SharedArrayBuffer)).toBe('function');
    expect(await page.textContent('#isolation')).toContain('cross-origin isolated');
    expect(await page.isHidden('#notice')).toBe(true);
  });

  it('trains spiral with 2 workers: loss falls, the boundary changes, the panel shows 2 workers and an average', async () => {
    const t0 = Date.now();
    await page.selectOption('#dataset', 'spiral');
    await page.selectOption('#workers', '2');
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.textContent('#setup-line')).toMatch(/^2 workers, 8 virtual shards/);
    console.log('ready after', Date.now() - t0);
    const loss0 = await numberOf(page, '#stat-val-loss');
    // an untrained 2-class softmax starts near ln 2 ≈ 0.693
    expect(loss0).toBeGreaterThan(0.5);
    const before = await boundaryPixels(page);
    await page.click('#play');
    await page.waitForTimeout(5000);
    await page.click('#play'); // pause
    const loss1 = await numberOf(page, '#stat-val-loss');
    const steps = await numberOf(page, '#stat-step');
    console.log(`steps ${steps}, loss ${loss0} → ${loss1}, sps ${await page.textContent("#stat-sps")}`);
    expect(steps).toBeGreaterThan(20);
    expect(loss1).toBeLessThan(loss0 * 0.9);
    const after = await boundaryPixels(page);
    let changed = 0;
    for (let i = 0; i < before.length; i += 2) if (Math.abs(before[i] - after[i]) + Math.abs(before[i + 1] - after[i + 1]) > 30) changed++;
    // more than 5 % of the sampled pixels moved by a visible amount
    expect(before.length).toBe(2 * 40 * 40);
    expect(changed).toBeGreaterThan(0.05 * 40 * 40);

    expect(await page.locator('.grad-card[data-role="worker"]').count()).toBe(2);
    expect(await page.locator('.grad-card[data-role="average"]').count()).toBe(1);
    const labels = await page.locator('.grad-card[data-role="worker"] figcaption').allTextContents();
    // V = 8 shards over 2 workers: 4 each; batch 32 → 16 samples, weight 0.5 each
    expect(labels).toEqual(['worker 0: shards 0–3, 16 samples, weight 0.500', 'worker 1: shards 4–7, 16 samples, weight 0.500']);
    const avg = (await page.textContent('.grad-card[data-role="average"] figcaption')) ?? '';
    const deviation = Number(/≤ ([-+.e\d]+)/.exec(avg)?.[1]);
    expect(deviation).toBeLessThan(1e-6);

    console.log('checked after', Date.now() - t0);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-demo.png'), fullPage: true });
    console.log('shot after', Date.now() - t0);
    expect(errors).toEqual([]);
  });
});
