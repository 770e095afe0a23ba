import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { PreviewServer, ViteDevServer } from 'vite';
import { deriveSeed, initParams, mlpSpec, optimizerConfig, paramLayout, referenceKernels, Rng, shuffleInPlace } from '@shardgrad/core';
import { computeShardGradient, createWorkerContext, reduceAndUpdate, shardRange } from '@shardgrad/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planeDataset } from '../src/data/plane-datasets.js';
import { fingerprint } from '../src/views/fingerprint.js';
import { launchBrowser, numberOf, openDemo, startPreview, startServer, WEB_ROOT } from './browser-harness.js';

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
 * Plays for at least `ms` milliseconds and at least `minSteps` steps (a busy 2-core CI machine
 * runs fewer steps per second), then pauses. The default spiral run is deterministic by step: its
 * validation loss is 0.735 before training (the page) and, by a Node run of the same code, 0.702
 * after step 1, 0.807 at step 75, 0.612 at 150 and
 * 0.451 at 250 — so the loss tests ask for at least 250 steps.
 */
async function train(page: Page, ms: number, minSteps = 0): Promise<void> {
  await page.click('#play');
  await page.waitForTimeout(ms);
  await page.waitForFunction((n) => Number(document.getElementById('stat-step')?.textContent) >= n, minSteps, { timeout: 40_000 });
  await page.click('#play');
}

/**
 * The page's default run (spiral, 600 points, noise 0.03, seed 42; 2-16-16-2 relu + softmax, Adam
 * η = 0.03, batch 32, V = 8) done in Node on one thread with the same core and worker step: the
 * independent reference for the browser's weights.
 */
function nodeFingerprint(steps: number): string {
  const ds = planeDataset('spiral', 600, 0.03, 42);
  const spec = mlpSpec([2, 16, 16, 2], 'relu', 'softmax', 'ce');
  const layout = paramLayout(spec.sizes);
  const P = layout.total;
  const V = 8;
  const buffers = {
    X: ds.X,
    Y: ds.Y,
    order: Uint32Array.from({ length: ds.trainRows }, (_, i) => i),
    params: new Float32Array(P),
    shardGrads: new Float32Array(V * P),
    avgGrad: new Float32Array(P),
    shardLoss: new Float64Array(V),
    optState: new Float32Array(2 * P),
  };
  initParams(buffers.params, layout, 'he', deriveSeed(42, 0));
  const ctx = createWorkerContext(spec, V, buffers, referenceKernels, optimizerConfig('adam'), 64);
  const rng = new Rng(deriveSeed(42, 1));
  let cursor = ds.trainRows;
  for (let t = 1; t <= steps; t++) {
    if (cursor >= ds.trainRows) ((cursor = 0), shuffleInPlace(buffers.order, rng));
    const start = cursor;
    const end = Math.min(start + 32, ds.trainRows);
    cursor = end;
    for (let s = 0; s < V; s++) computeShardGradient(ctx, s, ...shardRange(start, end, V, s));
    reduceAndUpdate(ctx, 0, P, end - start, 0.03, t);
  }
  return fingerprint(buffers.params);
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('cross-origin isolated page (vite dev server with COOP/COEP)', () => {
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
    expect(await page.textContent('#setup-line')).toMatch(/^2 workers, 8 virtual shards, 354 parameters/); // (2·16+16) + (16·16+16) + (16·2+2) = 48 + 272 + 34
    const loss0 = await numberOf(page, '#stat-val-loss');
    // an untrained 2-class softmax starts near ln 2 ≈ 0.693
    expect(loss0).toBeGreaterThan(0.5);
    const before = await boundaryPixels(page);
    await train(page, 5000, 250);
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
    // V = 8 shards over 2 workers: 4 each; batch 32 → 16 samples, weight 0.5 each
    expect(labels).toEqual(['worker 0: shards 0–3, 16 samples, weight 0.500', 'worker 1: shards 4–7, 16 samples, weight 0.500']);
    const avg = (await page.textContent('.grad-card[data-role="average"] figcaption')) ?? '';
    const deviation = Number(/≤ ([-+.e\d]+)/.exec(avg)?.[1]);
    expect(deviation).toBeLessThan(1e-6);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-demo.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('single step advances exactly one step and shows its batch', async () => {
    const t0 = await numberOf(page, '#stat-step');
    await page.fill('#batch', '20');
    await page.dispatchEvent('#batch', 'change');
    await page.click('#step');
    await page.waitForFunction((t) => document.getElementById('stat-step')?.textContent === String(t + 1), t0);
    // batch 20 over V = 8: shards of 3,3,3,3,2,2,2,2 → worker 0 has 12 samples, worker 1 has 8
    await page.waitForFunction(() => document.querySelector('.grad-card[data-role="worker"] figcaption')?.textContent?.includes('12 samples'));
    const labels = await page.locator('.grad-card[data-role="worker"] figcaption').allTextContents();
    expect(labels).toEqual(['worker 0: shards 0–3, 12 samples, weight 0.600', 'worker 1: shards 4–7, 8 samples, weight 0.400']);
    expect(await page.textContent('.grad-card[data-role="update"] figcaption')).toContain(`step ${t0 + 1}`);
  });

  it('clicking a point of the boundary map makes it the sample the explain panel follows', async () => {
    await page.click('#boundary', { position: { x: 240, y: 80 } }); // plane point (0.75, 0.75) on the 320-pixel map
    const ds = planeDataset('spiral', 600, 0.03, 42);
    let best = -1;
    let bestD = Infinity;
    for (let i = ds.trainRows; i < ds.rows; i++) {
      const d = Math.hypot(ds.X[2 * i] - 0.75, ds.X[2 * i + 1] - 0.75);
      if (d < bestD) ((bestD = d), (best = i));
    }
    expect(await page.inputValue('#sample')).toBe(String(best - ds.trainRows));
    const x = `x = (${ds.X[2 * best].toFixed(4)}, ${ds.X[2 * best + 1].toFixed(4)})`;
    await page.waitForFunction((want) => document.getElementById('explain')?.textContent?.includes(want), x);
  });

  it('gives bit-identical weights with 1 and 2 workers, equal to a Node run of the same steps', async () => {
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
    // 18 steps of 32 over 480 training rows cross an epoch boundary (a reshuffle) at step 16
    // the default page runs the WebAssembly kernels: 1 and 2 workers agree bit for bit
    expect(await page.textContent('#setup-line')).toContain('wasm');
    const oneWasm = await fingerprintAfter('1', 18);
    expect(await fingerprintAfter('2', 18)).toBe(oneWasm);
    // the Node run uses core's reference kernels (other kernels round differently), so compare on those
    await page.goto(`${url}?kernels=reference`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    expect(await page.textContent('#setup-line')).toContain('reference kernels');
    const one = await fingerprintAfter('1', 18);
    const two = await fingerprintAfter('2', 18);
    expect(two).toBe(one);
    expect(one).toBe(nodeFingerprint(18));
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
    await train(page, 3000, 40);
    // 3000 digits, 2400 for training; 40 steps of 32 (half an epoch) of a 784-32-10 network reach well above chance (10 %)
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

describe('page without cross-origin isolation (no COOP/COEP headers)', () => {
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

  it('says so plainly and trains in one worker on copies', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    expect(await page.textContent('#notice')).toContain('not cross-origin isolated');
    expect(await page.textContent('#notice')).toContain('Cross-Origin-Embedder-Policy: require-corp');
    expect(await page.isDisabled('#workers')).toBe(true);
    expect(await page.textContent('#setup-line')).toMatch(/^1 worker, .*copies, wasm\S* kernels$/);
    const loss0 = await numberOf(page, '#stat-val-loss');
    await train(page, 3000, 250);
    expect(await numberOf(page, '#stat-val-loss')).toBeLessThan(loss0 * 0.9);
    expect(await page.locator('.grad-card[data-role="worker"]').count()).toBe(1);
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

describe('production build served by vite preview', () => {
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
    await train(page, 2000, 250);
    expect(await numberOf(page, '#stat-val-loss')).toBeLessThan(loss0 * 0.9);
    expect(errors).toEqual([]);
  });
});
