import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runnableExamples } from './fixtures/examples.js';

/**
 * The library's public types as a user's strict project sees them: the docs' examples and a
 * consumer file type-check with `strict`, `skipLibCheck: false` and `exactOptionalPropertyTypes`
 * (which piscina's own declarations fail), and no worker-pool library's types are pulled in.
 */
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc', { paths: [ROOT] });
// inside the repository, so that `shardgrad` and @types/node resolve as in a project that installed them
const dir = mkdtempSync(path.join(ROOT, 'test', '.types-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONSUMER = `
import { train, Trainer, loadModel, type TrainedModel } from 'shardgrad';

const named = await train({ x: [[0], [1]], y: ['cat', 'dog'], epochs: 1, workers: 0 });
const names: ('cat' | 'dog')[] = named.classify([[0]]);
// @ts-expect-error a model trained on names gives names, not indices
const wrong: number[] = named.classify([[0]]);
const stopped: 'early-stop' | 'abort' | undefined = named.info.stoppedBy; // a trained model always has info

const indexed = await new Trainer({ x: [[0], [1]], y: new Uint8Array([0, 1]), epochs: 1, workers: 0 }).run();
const classes: number[] = indexed.classify([[1]]);
// @ts-expect-error integer labels give indices
const strings: string[] = indexed.classify([[1]]);
const typed: TrainedModel<number> = indexed;

const loaded = await loadModel('model.sgm');
const either: (number | string)[] = loaded.classify([[1]]);
// @ts-expect-error a loaded model may have no info
const steps: number = loaded.info.steps;
console.log(names, wrong, stopped, classes, strings, typed, either, steps);
`;

function typeCheck(files: string[], extra: string[] = []): { status: number | null; out: string } {
  const args = ['--noEmit', '--strict', '--skipLibCheck', 'false', '--module', 'nodenext', '--target', 'es2022', '--types', 'node', ...extra, ...files];
  const r = spawnSync(process.execPath, [tsc, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('public types', () => {
  it('the runnable examples of docs/api.md compile under tsc --strict', () => {
    const examples = runnableExamples(readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8'));
    expect(examples.length).toBeGreaterThan(3);
    const files = examples.map((code, i) => {
      writeFileSync(path.join(dir, `example-${i + 1}.mts`), code);
      return `example-${i + 1}.mts`;
    });
    const r = typeCheck(files);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  });

  it('type classify from the labels, give trained models info, and reach no piscina types (skipLibCheck false, exactOptionalPropertyTypes)', () => {
    writeFileSync(path.join(dir, 'consumer.mts'), CONSUMER);
    const r = typeCheck(['consumer.mts'], ['--exactOptionalPropertyTypes', '--listFiles']);
    const problems = r.out.split('\n').filter((l) => l.includes('error TS'));
    expect(problems).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.out).toContain('shardgrad/dist/index.d.ts'); // the listing is there, and it is the package's
    expect(r.out.split('\n').filter((l) => /piscina/i.test(l))).toEqual([]);
  });
});
