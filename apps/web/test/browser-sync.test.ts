import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoPage, runBrowser } from './browser-harness.js';
import { cliFingerprint } from './cli-fingerprint.js';

/** The sync control (--sync step | local:H | hogwild) in Chromium, on the page's default spiral run. */
const demo = demoPage(true);
const errors = demo.errors;
let page: Page;
beforeAll(() => {
  page = demo.page();
});

/** One click of `step`, waiting until the panels show step `k`: θ's fingerprint, and local:H's replicas' (empty otherwise). */
async function stepTo(k: number): Promise<{ theta: string; replicas: string[] }> {
  await page.click('#step');
  await page.waitForFunction((n) => document.getElementById('stat-theta')?.textContent?.endsWith(`@${n}`), k);
  return page.evaluate(() => {
    const theta = document.getElementById('stat-theta')!.textContent!.split(' ')[0];
    const words = (document.getElementById('stat-replicas')!.textContent ?? '').trim().split(/\s+/);
    return { theta, replicas: words.length > 1 ? words.slice(0, -1) : [], at: words.at(-1) };
  }).then(({ theta, replicas }) => ({ theta, replicas }));
}

async function pickSync(kind: string, p = page): Promise<void> {
  await p.selectOption('#sync', kind);
  await p.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
}

/** local:H with R replicas picked in the form (each field's change resets the run). */
async function pickLocal(H: number, R: number, p = page): Promise<void> {
  await pickSync('local', p);
  await p.fill('#replicas', String(R));
  await p.fill('#sync-every', String(H));
  await p.dispatchEvent('#sync-every', 'change');
  await p.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
}

describe.runIf(runBrowser)('the sync control', () => {
  it('local:4 with 4 replicas: 4 replica boundaries; the replicas drift apart inside a round and equal the average at its end; the CLI\'s bits', async () => {
    // Node runs the relaxed-SIMD build: so must the page for the bit comparison with the CLI
    expect(await page.textContent('#setup-line')).toContain('wasm-relaxed kernels');
    expect(await page.isHidden('#sync-every')).toBe(true);
    await pickLocal(4, 4);
    expect(await page.isVisible('#sync-every')).toBe(true);
    expect(await page.textContent('#sync-line')).toContain('--sync local:4 --replicas 4');
    expect(await page.getAttribute('#boundary', 'data-replicas')).toBe('4');
    expect(await page.getAttribute('#sync-line', 'data-sync')).toBe('local');
    // spiral: 480 training rows in batches of 32, 15 steps an epoch: rounds end after steps 4, 8, 12 and 15 (the epoch's last)
    const ends = new Set([4, 8, 12, 15]);
    let average = '';
    for (let k = 1; k <= 15; k++) {
      const { theta, replicas } = await stepTo(k);
      expect(replicas).toHaveLength(4);
      if (ends.has(k)) {
        // right after an average every replica restarts from it: the same bits as θ
        expect(replicas).toEqual([theta, theta, theta, theta]);
        expect(theta).not.toBe(average); // and θ moved
        average = theta;
      } else {
        // inside a round each replica trained on its own shards: four different θ, and θ is still the last average
        expect(new Set(replicas).size).toBe(4);
        expect(replicas).not.toContain(theta);
        if (average) expect(theta).toBe(average);
      }
    }
    // shardgrad train --sync local:4 --replicas 4 on 2 worker threads: the same θ after the epoch
    expect(average).toBe(cliFingerprint(1, 'wasm', ['--sync', 'local:4', '--replicas', '4']));
    expect(errors).toEqual([]);
  });

  it('a bad H or replica count is one line naming the field, and no run', async () => {
    await page.fill('#sync-every', '0');
    await page.dispatchEvent('#sync-every', 'change');
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toMatch(/^sync: local:H needs H a positive integer/);
    await page.fill('#sync-every', '4');
    await page.fill('#replicas', '17');
    await page.dispatchEvent('#replicas', 'change');
    await page.waitForFunction(() => document.getElementById('error')?.textContent?.startsWith('replicas:'));
    expect(await page.textContent('#error')).toContain('more than the 16 virtual shards');
    await page.fill('#replicas', '4');
    await page.dispatchEvent('#replicas', 'change');
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    expect(await page.isHidden('#error')).toBe(true);
  });

  it('hogwild on 2 worker threads: two runs of one seed give different θ, or no update overlapped another (staleness 0)', async () => {
    await page.selectOption('#workers', '2');
    await pickSync('hogwild');
    expect(await page.getAttribute('#sync-line', 'data-threads')).toBe('2');
    expect(await page.textContent('#sync-line')).toContain('--sync hogwild on 2 worker threads');
    expect(await page.getAttribute('#boundary', 'data-replicas')).toBe('0');
    expect(await page.isHidden('#stat-replicas')).toBe(true);
    const run = async () => {
      let theta = '';
      for (let k = 1; k <= 15; k++) theta = (await stepTo(k)).theta;
      // 15 steps of 16 shards' updates each
      await page.waitForFunction(() => document.getElementById('stat-stale')?.textContent?.endsWith('over 240 updates'));
      return { theta, stale: Number(await page.getAttribute('#stat-stale', 'data-mean')) };
    };
    const first = await run();
    await page.click('#reset');
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    const second = await run();
    expect(first.stale).toBeGreaterThanOrEqual(0);
    expect(first.theta !== second.theta || (first.stale === 0 && second.stale === 0)).toBe(true);
    expect(errors).toEqual([]);
  });

  it('hogwild on one worker: the page says it runs on one thread, two runs give the same θ (the CLI\'s on one worker), unlike step', async () => {
    await page.selectOption('#workers', '1');
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    expect(await page.textContent('#sync-line')).toContain('hogwild needs worker threads to race: here it runs on one thread');
    let first = '';
    for (let k = 1; k <= 15; k++) first = (await stepTo(k)).theta;
    expect(await page.getAttribute('#stat-stale', 'data-mean')).toBe('0');
    await page.click('#reset');
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    let second = '';
    for (let k = 1; k <= 15; k++) second = (await stepTo(k)).theta;
    expect(second).toBe(first);
    // one thread applies the 16 shards' updates in order: shardgrad train --sync hogwild --workers 1
    expect(first).toBe(cliFingerprint(1, 'wasm', ['--sync', 'hogwild'], 1));
    await pickSync('step');
    expect(await page.isHidden('#sync-line')).toBe(true);
    let step = '';
    for (let k = 1; k <= 15; k++) step = (await stepTo(k)).theta;
    expect(step).not.toBe(first);
    expect(errors).toEqual([]);
  });
});

/** The same page without the cross-origin isolation headers: no shared memory, so it trains in the page. */
const plainDemo = demoPage(false);

describe.runIf(runBrowser)('the sync control without shared memory (in the page)', () => {
  it('local:4 with 4 replicas trains in the page: the CLI\'s bits after the epoch; hogwild says it runs on one thread', async () => {
    const plain = plainDemo.page();
    await pickLocal(4, 4, plain);
    expect(await plain.textContent('#setup-line')).toContain('in the page');
    expect(await plain.getAttribute('#boundary', 'data-replicas')).toBe('4');
    for (let k = 1; k <= 15; k++) {
      await plain.click('#step');
      await plain.waitForFunction((n) => document.getElementById('stat-theta')?.textContent?.endsWith(`@${n}`), k);
    }
    const theta = (await plain.textContent('#stat-theta'))!.split(' ')[0];
    expect(theta).toBe(cliFingerprint(1, 'wasm', ['--sync', 'local:4', '--replicas', '4']));
    await pickSync('hogwild', plain);
    expect(await plain.getAttribute('#sync-line', 'data-threads')).toBe('1');
    expect(await plain.textContent('#sync-line')).toContain('hogwild needs worker threads to race: here it runs on one thread');
    expect(plainDemo.errors).toEqual([]);
  });
});
