import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { PreviewServer, ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planeDataset, planeExtent } from '../src/data/plane-datasets.js';
import { launchBrowser, numberOf, openDemo, runBrowser, startPreview, startServer, WEB_ROOT } from './browser-harness.js';
import { cliFingerprint } from './cli-fingerprint.js';

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

/**
 * Plays until the page has done at least `minSteps` steps, then pauses: the test stops at a step,
 * never after a fixed time (a busy 2-core CI machine runs fewer steps per second).
 */
async function train(page: Page, minSteps: number): Promise<void> {
  const t0 = await numberOf(page, '#stat-step');
  await page.click('#play');
  await page.waitForFunction((n) => Number(document.getElementById('stat-step')?.textContent) >= n, t0 + minSteps, { timeout: 60_000 });
  await page.click('#play');
  // the loop finishes the step under way when paused: wait until it has, and its count is shown
  await page.waitForSelector('body[data-playing="false"]');
}

let browser: Browser;
beforeAll(async () => {
  if (!runBrowser) return; // skipped: no Chromium (one line from test/setup/global-setup.ts)
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe.runIf(runBrowser)('cross-origin isolated page (vite dev server with COOP/COEP)', () => {
  let server: ViteDevServer;
  let page: Page;
  const errors: string[] = [];

  let url: string;
  beforeAll(async () => {
    ({ server, url } = await startServer(true));
    page = await openDemo(browser, url, errors);
  });
  afterAll(async () => {
    await page?.close();
    await server?.close();
  });

  it('is cross-origin isolated and offers shared memory', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.evaluate(() => typeof SharedArrayBuffer)).toBe('function');
    expect(await page.textContent('#isolation')).toContain('cross-origin isolated');
    expect(await page.isHidden('#notice')).toBe(true);
  });

  it('trains spiral with 2 workers: loss falls, the boundary changes, the panel shows 2 workers and an average', async () => {
    await page.selectOption('#dataset', 'spiral');
    await page.selectOption('#workers', '2');
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.textContent('#setup-line')).toMatch(/^2 workers, 16 virtual shards, 354 parameters/); // (2·16+16) + (16·16+16) + (16·2+2) = 48 + 272 + 34
    const loss0 = await numberOf(page, '#stat-val-loss');
    // an untrained 2-class softmax starts near ln 2 ≈ 0.693
    expect(loss0).toBeGreaterThan(0.5);
    const before = await boundaryPixels(page);
    await train(page, 250);
    const loss1 = await numberOf(page, '#stat-val-loss');
    expect(await numberOf(page, '#stat-step')).toBeGreaterThan(20);
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
    // V = 16 shards over 2 workers: 8 each; batch 32 → 16 samples, weight 0.5 each
    expect(labels).toEqual(['worker 0: shards 0–7, 16 samples, weight 0.500', 'worker 1: shards 8–15, 16 samples, weight 0.500']);
    const avg = (await page.textContent('.grad-card[data-role="average"] figcaption')) ?? '';
    const deviation = Number(/≤ ([-+.e\d]+)/.exec(avg)?.[1]);
    expect(deviation).toBeLessThan(1e-6);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.waitForSelector('#tree[data-progress="1"]'); // the last step's tree has filled in
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-demo.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('single step advances exactly one step and shows its batch', async () => {
    const t0 = await numberOf(page, '#stat-step');
    await page.fill('#batch', '20');
    await page.dispatchEvent('#batch', 'change');
    await page.click('#step');
    await page.waitForFunction((t) => document.getElementById('stat-step')?.textContent === String(t + 1), t0);
    // batch 20 over V = 16: shards of 2,2,2,2 then twelve of 1 → worker 0 (shards 0–7) has 12 samples, worker 1 has 8
    await page.waitForFunction(() => document.querySelector('.grad-card[data-role="worker"] figcaption')?.textContent?.includes('12 samples'));
    const labels = await page.locator('.grad-card[data-role="worker"] figcaption').allTextContents();
    expect(labels).toEqual(['worker 0: shards 0–7, 12 samples, weight 0.600', 'worker 1: shards 8–15, 8 samples, weight 0.400']);
    expect(await page.textContent('.grad-card[data-role="update"] figcaption')).toContain(`step ${t0 + 1}`);
  });

  it('clicking a point of the boundary map makes it the sample the explain panel follows', async () => {
    const ds = planeDataset('spiral', 42);
    // pixel (240, 80) of the 320-pixel map over [−e, e]² is the plane point (e/2, e/2)
    const q = planeExtent(ds) / 2;
    await page.click('#boundary', { position: { x: 240, y: 80 } });
    let best = -1;
    let bestD = Infinity;
    for (let i = ds.trainRows; i < ds.rows; i++) {
      const d = Math.hypot(ds.X[2 * i] - q, ds.X[2 * i + 1] - q);
      if (d < bestD) ((bestD = d), (best = i));
    }
    expect(await page.inputValue('#sample')).toBe(String(best - ds.trainRows));
    const x = `x = (${ds.X[2 * best].toFixed(4)}, ${ds.X[2 * best + 1].toFixed(4)})`;
    await page.waitForFunction((want) => document.getElementById('explain')?.textContent?.includes(want), x);
  });

  it('gives the weights of `shardgrad train` with the same settings and seed, with 1 and 2 workers, bit for bit', async () => {
    const fingerprintAfter = async (workers: string, steps: number) => {
      await page.selectOption('#workers', workers);
      await page.fill('#batch', '32');
      await page.dispatchEvent('#batch', 'change');
      await page.waitForSelector('body[data-ready="true"]');
      for (let k = 1; k <= steps; k++) {
        await page.click('#step');
        await page.waitForFunction((n) => document.getElementById('stat-theta')?.textContent?.endsWith(`@${n}`), k);
      }
      return (await page.textContent('#stat-theta'))!.split(' ')[0];
    };
    // 480 training rows in batches of 32: 15 steps an epoch; 30 steps cross a reshuffle
    const setup = (await page.textContent('#setup-line')) ?? '';
    // Node runs the relaxed-SIMD (fused multiply-add) build: so must the page for the wasm comparison
    expect(setup).toContain('wasm-relaxed kernels');
    const oneWasm = await fingerprintAfter('1', 30);
    expect(await fingerprintAfter('2', 30)).toBe(oneWasm);
    expect(oneWasm).toBe(cliFingerprint(2, 'wasm'));
    // and on core's reference kernels (other kernels round differently)
    await page.goto(`${url}?kernels=reference`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    expect(await page.textContent('#setup-line')).toContain('reference kernels');
    const one = await fingerprintAfter('1', 30);
    expect(await fingerprintAfter('2', 30)).toBe(one);
    expect(one).toBe(cliFingerprint(2, 'reference'));
    expect(oneWasm).not.toBe(one); // the page really ran other kernels before
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  });

  it('mnist mode: trains on the real digits and predicts a digit drawn with the mouse', async () => {
    await page.fill('#hidden', '32');
    await page.locator('#hidden').blur(); // the change event resets with the new layers
    await page.selectOption('#dataset', 'mnist');
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    expect(await page.textContent('#setup-line')).toContain('25450 parameters'); // (784·32+32) + (32·10+10) = 25120 + 330
    expect(await page.isHidden('#boundary')).toBe(true);
    expect(await page.isVisible('#digit-pad')).toBe(true);
    await train(page, 75);
    // one more single step: it evaluates right after it (while playing, the page evaluates every 250 ms)
    const t = await numberOf(page, '#stat-step');
    await page.click('#step');
    await page.waitForFunction((n) => document.getElementById('stat-step')?.textContent === String(n + 1), t);
    // 3000 digits, 2400 for training; 76 steps of 32 (one epoch) of a 784-32-10 network reach well above chance (10 %)
    expect(await numberOf(page, '#stat-acc')).toBeGreaterThan(50);
    const box = (await page.locator('#digit-pad').boundingBox())!;
    // a "1": one vertical stroke down the middle
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.15);
    await page.mouse.down();
    for (let k = 1; k <= 20; k++) await page.mouse.move(box.x + box.width / 2, box.y + box.height * (0.15 + (0.7 * k) / 20));
    await page.mouse.up();
    await page.waitForFunction(() => document.getElementById('prediction')?.textContent?.startsWith('prediction:'));
    expect(await page.locator('#prediction-bars > div').count()).toBe(10);
    expect(await page.textContent('#prediction')).toMatch(/^prediction: 1 /);
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-demo-mnist.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});

describe.runIf(runBrowser)('page without cross-origin isolation (no COOP/COEP headers)', () => {
  let server: ViteDevServer;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    let url: string;
    ({ server, url } = await startServer(false));
    page = await openDemo(browser, url, errors);
  });
  afterAll(async () => {
    await page?.close();
    await server?.close();
  });

  it('says so plainly and trains in the page itself', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    expect(await page.textContent('#notice')).toContain('not cross-origin isolated');
    expect(await page.textContent('#notice')).toContain('Cross-Origin-Embedder-Policy: require-corp');
    expect(await page.isDisabled('#workers')).toBe(true);
    expect(await page.textContent('#setup-line')).toMatch(/^in the page, 16 virtual shards, .*no shared memory, wasm\S* kernels$/);
    const loss0 = await numberOf(page, '#stat-val-loss');
    await train(page, 250);
    expect(await numberOf(page, '#stat-val-loss')).toBeLessThan(loss0 * 0.9);
    expect(await page.locator('.grad-card[data-role="worker"]').count()).toBe(1);
    // one worker publishes the root's two halves: the noise estimate is measured in the page too
    expect(Number(await page.getAttribute('#noise-chart', 'data-points'))).toBeGreaterThan(0);
    expect(await page.textContent('#noise-reading')).toMatch(/^B_simple ≈ \d/);
    expect(errors).toEqual([]);
  });

  it('names the field of a bad setting in one line instead of training', async () => {
    await page.fill('#hidden', '8,x');
    await page.locator('#hidden').blur();
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toBe('hidden layers: "8,x": up to 4 comma-separated sizes, integers 1…256');
    expect(await page.getAttribute('body', 'data-ready')).toBe('false');
  });
});

describe.runIf(runBrowser)('production build served by vite preview', () => {
  let server: PreviewServer;
  let page: Page;
  const outDir = mkdtempSync(path.join(tmpdir(), 'shardgrad-web-'));
  const errors: string[] = [];

  beforeAll(async () => {
    let url: string;
    ({ server, url } = await startPreview(outDir));
    page = await openDemo(browser, url, errors);
  });
  afterAll(async () => {
    await page?.close();
    await server?.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('is cross-origin isolated and trains with its bundled workers', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.selectOption('#workers', '2');
    await page.waitForSelector('body[data-ready="true"]');
    const loss0 = await numberOf(page, '#stat-val-loss');
    await train(page, 250);
    expect(await numberOf(page, '#stat-val-loss')).toBeLessThan(loss0 * 0.9);
    expect(errors).toEqual([]);
  });
});
