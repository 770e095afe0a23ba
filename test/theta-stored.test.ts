// The trained parameters of existing settings, stored from before the optimizer and activation
// registries (fixtures/theta-before.json, written by this file with SHARDGRAD_WRITE_THETA=1 on the
// commit before them): each optimizer with and without weight decay, each hidden activation, the
// fused wasm slice pass (workers 0 and 2) and the plain one (reference kernels). θ is compared as
// a digest of its bytes, not whole files, so a change of the file header does not matter.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { Trainer } from '@shardgrad/coordinator';
import { mlpSpec, optimizerConfig } from '@shardgrad/core';
import { mnistSlice, smallConfig } from './fixtures/train-fixtures.js';

const FILE = new URL('./fixtures/theta-before.json', import.meta.url);
type Kind = 'sgd' | 'momentum' | 'nesterov' | 'adam';
const cases: [string, Parameters<typeof smallConfig>[0]][] = [];
for (const kind of ['sgd', 'momentum', 'nesterov', 'adam'] as Kind[])
  for (const weightDecay of [0, 0.01])
    for (const [kernel, workers] of [['wasm', 0], ['wasm', 2], ['reference', 0]] as const)
      cases.push([`${kind} wd ${weightDecay} ${kernel} workers ${workers}`, { optimizer: optimizerConfig(kind, { weightDecay }), kernel, workers, lr: kind === 'adam' ? 0.01 : 0.05 }]);
for (const act of ['tanh', 'sigmoid', 'identity'] as const)
  cases.push([`${act} hidden, adam, wasm`, { spec: mlpSpec([784, 16, 10], act, 'softmax', 'ce'), optimizer: optimizerConfig('adam'), kernel: 'wasm', lr: 0.01 }]);
cases.push(['sigmoid output, mse, sgd, wasm', { spec: mlpSpec([784, 12, 10], 'relu', 'sigmoid', 'mse'), optimizer: optimizerConfig('sgd'), kernel: 'wasm' }]);

async function digests(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, o] of cases) {
    const r = await new Trainer(smallConfig({ data: mnistSlice(200, 50), epochs: 1, ...o })).run();
    out[name] = createHash('sha256').update(r.params).digest('hex');
  }
  return out;
}

it('θ of every stored setting is bit for bit what it was before the registries', async () => {
  const now = await digests();
  if (process.env.SHARDGRAD_WRITE_THETA === '1') writeFileSync(FILE, JSON.stringify(now, null, 1) + '\n');
  const before = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, string>;
  expect(Object.keys(before).length).toBe(cases.length);
  expect(now).toEqual(before);
}, 120_000);
