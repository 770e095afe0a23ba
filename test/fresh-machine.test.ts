import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './fixtures/examples.js';

/**
 * A machine with only Node: the tests that need a program it lacks are skipped with one line that
 * names them and what to install, and the run passes; in CI (CI=true) the same is a failure. Run
 * as a nested vitest on one browser test file, with the browser path pointed at nothing.
 */
const vitest = path.join(ROOT, 'node_modules/vitest/vitest.mjs');
const BROWSER_FILE = 'apps/web/test/browser-controls.test.ts';
const LINE = 'skipped: the browser tests (apps/web/test/browser-*.test.ts): no Chromium at /nonexistent/chromium; to run them: apt-get install chromium (or SHARDGRAD_CHROMIUM=/path/to/chromium)';

function nestedRun(ci: boolean) {
  const env: NodeJS.ProcessEnv = { ...process.env, SHARDGRAD_CHROMIUM: '/nonexistent/chromium', NO_COLOR: '1', FORCE_COLOR: '0' };
  delete env.CI;
  delete env.VITEST;
  delete env.VITEST_WORKER_ID;
  if (ci) env.CI = 'true';
  const r = spawnSync(process.execPath, [vitest, 'run', BROWSER_FILE, '--reporter=default'], { cwd: ROOT, env, encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

describe('tests on a machine without Chromium', () => {
  it('skip the browser tests with one line naming what to install, and pass', () => {
    const r = nestedRun(false);
    expect(r.out.split('\n').filter((l) => l.includes('Chromium') || l.includes('chromium'))).toEqual([LINE]);
    expect(r.out).toMatch(/Tests\s+\d+ skipped/);
    expect(r.out).not.toMatch(/\d+ (passed|failed)/);
    expect(r.status, r.out).toBe(0);
  });

  it('fail in CI (CI=true), naming what is missing', () => {
    const r = nestedRun(true);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('CI=true, but Chromium is missing (no Chromium at /nonexistent/chromium; .ci/run installs it');
  });
});
