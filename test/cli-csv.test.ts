import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readModelFile } from '@shardgrad/coordinator';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, jsonLines, runCli, runCliAsync, tempDir } from './cli-helpers.js';

/**
 * Real CSV files through the CLI: named classes, a label column with any name, a separate test file,
 * the held-out share, eval reading task and columns from the model, and the output activation.
 */
const dir = tempDir('csv');
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

// three well separated clusters, one per species; the names sort as setosa < versicolor < virginica
const CENTRES = { virginica: [3, 3], setosa: [-3, -3], versicolor: [3, -3] } as const;
const species = Object.keys(CENTRES) as (keyof typeof CENTRES)[];
/** Row i: the species i mod 3, at its centre plus a small fixed offset. */
function rows(n: number, from: number): { name: string; a: number; b: number }[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const name = species[i % 3];
    return { name, a: CENTRES[name][0] + ((i * 7) % 10) / 20 - 0.25, b: CENTRES[name][1] + ((i * 3) % 10) / 20 - 0.25 };
  });
}
const train = rows(60, 0);
const test = rows(12, 60);
const csvOf = (rs: { name: string; a: number; b: number }[]) => 'a,species,b\n' + rs.map((r) => `${r.a},${r.name},${r.b}`).join('\n') + '\n';
const trainCsv = file('train.csv', csvOf(train));
const testCsv = file('test.csv', csvOf(test));
const model = path.join(dir, 'species.sgm');
const fit = ['--hidden', '8', '--optimizer', 'adam', '--lr', '0.05', '--epochs', '20', '--batch', '10', '--workers', '1'];

describe('named classes, a separate test file, predict and eval from the model file', () => {
  it('train keeps the sorted class names and the columns in the model file', () => {
    const r = runCli(['train', '--data', `csv:${trainCsv}`, '--label-column', 'species', '--test', `csv:${testCsv}`, ...fit, '--out', model, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const m = readModelFile(model);
    expect(m.data).toEqual({ task: 'classification', classes: ['setosa', 'versicolor', 'virginica'], inputColumns: ['a', 'b'], targetColumns: ['species'] });
    // every row of train.csv trains: 60 rows / batch 10 = 6 steps per epoch, 20 epochs
    const summary = jsonLines(r.stdout).pop()!;
    expect(summary.steps).toBe(120);
    // validated on the 12 rows of test.csv, all separable
    expect(summary.accuracy).toBe(1);
  });

  it('predict prints the class names, dropping the model\'s own label column by name', async () => {
    const r = await runCliAsync(['predict', '--model', model, '--input', testCsv]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(test.map((t) => t.name));
    const json = jsonLines((await runCliAsync(['predict', '--model', model, '--input', testCsv, '--json'])).stdout);
    expect(json.map((o) => [o.class, o.label])).toEqual(test.map((t) => [species.slice().sort().indexOf(t.name), t.name]));
  });

  it('predict --label-column drops a column of a file without a header', async () => {
    const headless = file('headless.csv', test.map((t) => `${t.name},${t.a},${t.b}`).join('\n'));
    const r = await runCliAsync(['predict', '--model', model, '--input', headless, '--label-column', '0']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(test.map((t) => t.name));
    expectOneLineError(await runCliAsync(['predict', '--model', model, '--input', headless]), `${headless}: line 1 has 3 values, the model takes 2 (name a column to leave out with --label-column INDEX)`);
  });

  it('eval takes the label column and the class names from the model, and prints the names', async () => {
    const r = await runCliAsync(['eval', '--model', model, '--data', `csv:${testCsv}`, '--split', 'all', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout);
    expect([o.rows, o.accuracy, o.classes]).toEqual([12, 1, ['setosa', 'versicolor', 'virginica']]);
    // 12 rows, i mod 3 cycling: 4 of each species, all on the diagonal
    expect(o.confusion).toEqual([[4, 0, 0], [0, 4, 0], [0, 0, 4]]);
    const text = await runCliAsync(['eval', '--model', model, '--data', `csv:${testCsv}`, '--split', 'all']);
    expect(text.stdout).toMatch(/^ *true\\pred +setosa +versicolor +virginica$/m);
    expect(text.stdout).toMatch(/^ *versicolor +0 +4 +0$/m);
  });

  it('a class the model does not know is one line naming the file and the class', async () => {
    const odd = file('odd.csv', 'a,species,b\n1,setosa,2\n1,rosa,2\n');
    expectOneLineError(await runCliAsync(['eval', '--model', model, '--data', `csv:${odd}`]), `${odd}: line 3: class "rosa" is not one of the model's classes (setosa, versicolor, virginica)`);
  });

  it('an sklearn-style file with a "target" column predicts as is', async () => {
    const sk = file('sk.csv', 'a,b,target\n' + train.map((t) => `${t.a},${t.b},${species.slice().sort().indexOf(t.name)}`).join('\n'));
    const skModel = path.join(dir, 'sk.sgm');
    expect((await runCliAsync(['train', '--data', `csv:${sk}`, '--label-column', 'target', ...fit, '--out', skModel])).status).toBe(0);
    const r = await runCliAsync(['predict', '--model', skModel, '--input', sk]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').length).toBe(60);
  });
});

describe('--test-split', () => {
  // 64 rows: 0 holds nothing out, so --batch 64 fits (one step per epoch)
  const sixtyFour = file('64.csv', 'x,label\n' + Array.from({ length: 64 }, (_, i) => `${i / 64},${i % 2}`).join('\n'));
  it('0 trains on every row', async () => {
    const r = await runCliAsync(['train', '--data', `csv:${sixtyFour}`, '--test-split', '0', '--batch', '64', '--epochs', '3', '--hidden', '2', '--workers', '1', '--json', '--out', path.join(dir, '64.sgm')]);
    expect(r.status, r.stderr).toBe(0);
    const summary = jsonLines(r.stdout).pop()!;
    expect([summary.steps, summary.valLoss, summary.accuracy]).toEqual([3, null, null]);
    // without it the last fifth is held out: round(64/5) = 13, leaving 51 training rows
    expectOneLineError(await runCliAsync(['train', '--data', `csv:${sixtyFour}`, '--batch', '64', '--out', path.join(dir, 'x.sgm')]), '--batch: 64 is larger than the 51 training rows');
  });
  it('0.25 holds out a quarter, and eval uses the share the model was trained with', async () => {
    const m = path.join(dir, 'quarter.sgm');
    // round(64 · 0.25) = 16 held out, 48 train, batch 16: 3 steps per epoch
    const r = await runCliAsync(['train', '--data', `csv:${sixtyFour}`, '--test-split', '0.25', '--batch', '16', '--epochs', '2', '--hidden', '2', '--workers', '1', '--json', '--out', m]);
    expect(r.status, r.stderr).toBe(0);
    expect(jsonLines(r.stdout).pop()!.steps).toBe(6);
    const e = JSON.parse((await runCliAsync(['eval', '--model', m, '--data', `csv:${sixtyFour}`, '--json'])).stdout);
    expect(e.rows).toBe(16);
  });
  it('does not apply to a separate test file', async () => {
    expectOneLineError(await runCliAsync(['train', '--data', `csv:${trainCsv}`, '--test', `csv:${testCsv}`, '--test-split', '0.1']), 'Arguments test and test-split are mutually exclusive');
  });
});

describe('regression and the output activation', () => {
  // y = 0.25 + 0.5·x on [0, 1]: targets inside (0, 1), so a sigmoid output can fit them
  const reg = file('reg.csv', 'x,y\n' + Array.from({ length: 40 }, (_, i) => `${i / 40},${0.25 + (0.5 * i) / 40}`).join('\n'));
  it('--output sigmoid with MSE: one sigmoid output unit, as in the 1986 paper; eval needs no --task', async () => {
    const m = path.join(dir, 'sigmoid.sgm');
    const r = await runCliAsync(['train', '--data', `csv:${reg}`, '--task', 'regression', '--output', 'sigmoid', '--hidden', '4', '--activation', 'sigmoid', '--epochs', '2', '--batch', '8', '--workers', '1', '--out', m]);
    expect(r.status, r.stderr).toBe(0);
    const f = readModelFile(m);
    expect([f.spec.sizes, f.spec.activations, f.spec.loss, f.data?.task]).toEqual([[1, 4, 1], ['sigmoid', 'sigmoid'], 'mse', 'regression']);
    const p = await runCliAsync(['predict', '--model', m, '--input', reg]);
    const outputs = p.stdout.trim().split('\n').map(Number);
    expect(outputs).toHaveLength(40);
    for (const y of outputs) expect(y > 0 && y < 1).toBe(true);
    const e = await runCliAsync(['eval', '--model', m, '--data', `csv:${reg}`, '--json']);
    expect(e.status, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).accuracy).toBeNull();
  });
  it('--output softmax needs cross-entropy, and a non-softmax output cannot take it', async () => {
    expectOneLineError(await runCliAsync(['train', '--data', 'xor:40', '--output', 'softmax', '--loss', 'mse']), '--output: softmax is trained with the cross-entropy loss');
    expectOneLineError(await runCliAsync(['train', '--data', 'xor:40', '--output', 'tanh', '--loss', 'ce']), '--output: tanh cannot be trained with --loss ce');
  });
});
