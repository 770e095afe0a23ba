import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET_DEFAULTS } from '../src/app/defaults.js';
import { MNIST_PACK_FILE } from '../src/data/mnist-pack.js';
import { launchBrowser, numberOf, openDemo, runBrowser, startServer } from './browser-harness.js';

/** The form's controls in Chromium: each data set's own defaults, the step delay, the packed digits. */
let browser: Browser;
let server: ViteDevServer;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  if (!runBrowser) return; // skipped: no Chromium (one line from test/setup/global-setup.ts)
  browser = await launchBrowser();
  let url: string;
  ({ server, url } = await startServer(true));
  page = await openDemo(browser, url, errors);
});
afterAll(async () => {
  await page?.close();
  await server?.close();
  await browser?.close();
});

const form = () =>
  page.evaluate(() => {
    const v = (id: string) => (document.getElementById(id) as HTMLInputElement).value;
    return { hidden: v('hidden'), activation: v('activation'), optimizer: v('optimizer'), lr: Number(v('lr')), batch: Number(v('batch')) };
  });

describe.runIf(runBrowser)('the playground form', () => {
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
});
