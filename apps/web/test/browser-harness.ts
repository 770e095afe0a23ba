import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, createServer, preview, type PreviewServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll } from 'vitest';
import { webConfig } from '../vite.config.js';

import { chromium as chromiumTool, CHROMIUM, runWith } from '../../../test/setup/tools.js';

export { CHROMIUM };
/** Run the browser tests: where Chromium is (Debian's package; a browser is never downloaded), and always in CI. */
export const runBrowser = runWith(chromiumTool);
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];
export const WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Starts the demo's Vite dev server on a free port with the app's own config (which sends the
 * cross-origin isolation headers), or with `isolated: false` the same server without them.
 */
export async function startServer(isolated: boolean): Promise<{ server: ViteDevServer; url: string }> {
  const config = webConfig(isolated);
  const server = await createServer({
    ...config,
    root: WEB_ROOT,
    configFile: false,
    logLevel: 'error',
    clearScreen: false,
    server: { ...config.server, port: 0, strictPort: false, host: '127.0.0.1', hmr: false },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('vite server has no port');
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

/** Builds the demo into `outDir` and serves it with `vite preview` (the app's headers) on a free port. */
export async function startPreview(outDir: string): Promise<{ server: PreviewServer; url: string }> {
  const config = webConfig(true);
  await build({ ...config, root: WEB_ROOT, configFile: false, logLevel: 'error', build: { ...config.build, outDir, emptyOutDir: true } });
  const server = await preview({
    ...config,
    root: WEB_ROOT,
    configFile: false,
    logLevel: 'error',
    build: { outDir },
    preview: { ...config.preview, port: 0, strictPort: false, host: '127.0.0.1' },
  });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('vite preview has no port');
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Opens the page and waits until the first session is built and evaluated. */
export async function openDemo(browser: Browser, url: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  return page;
}

export async function numberOf(page: Page, selector: string): Promise<number> {
  return Number.parseFloat((await page.textContent(selector)) ?? 'NaN');
}

/**
 * For a test file that drives one page: Chromium, the isolated dev server and the demo opened once
 * (beforeAll), closed after the file (afterAll). `page()` is the page; `errors` collects its errors.
 */
export function isolatedDemoPage(): { page: () => Page; errors: string[] } {
  return demoPage(true);
}

/** As isolatedDemoPage, with or without the cross-origin isolation headers. */
export function demoPage(isolated: boolean): { page: () => Page; errors: string[] } {
  let browser: Browser | undefined;
  let server: ViteDevServer | undefined;
  let page: Page | undefined;
  const errors: string[] = [];
  beforeAll(async () => {
    if (!runBrowser) return; // skipped: no Chromium (one line from test/setup/global-setup.ts)
    browser = await launchBrowser();
    let url: string;
    ({ server, url } = await startServer(isolated));
    page = await openDemo(browser, url, errors);
  });
  afterAll(async () => {
    await page?.close();
    await server?.close();
    await browser?.close();
  });
  return { page: () => page!, errors };
}
