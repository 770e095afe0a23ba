import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT as root, runnableExamples, workspaceScratch } from './fixtures/examples.js';

/**
 * Runs one example as an ES module in a fresh folder whose node_modules is this workspace's test
 * package (so `import 'shardgrad'` is the built package), and returns the process result.
 */
function runExample(code: string): ReturnType<typeof spawnSync> {
  const dir = workspaceScratch();
  writeFileSync(path.join(dir, 'example.mjs'), code);
  return spawnSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
}

describe.each(['docs/api.md', 'README.md'])('the runnable examples of %s run as written', (file) => {
  const examples = runnableExamples(readFileSync(path.join(root, file), 'utf8'));
  it('has some', () => {
    expect(examples.length).toBeGreaterThan(0);
  });
  it.each(examples.map((code, i) => [i + 1, code] as const))('example %i', (_i, code) => {
    const r = runExample(code);
    expect(r.stderr, String(r.stdout)).toBe('');
    expect(r.status).toBe(0);
  });
});
