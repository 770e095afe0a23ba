// Where one worker's step goes (issue 18, "small shards"): the engine's WorkerStep run in-process
// (one worker, no threads), timed in CPU time (process.cpuUsage: robust to other processes' load),
// for several virtual shard counts V of the same batch — the rows gathered, forward, the whole
// gradients phase (gather + forward + loss + backward with the tree's leaves), the update pass. The
// leaves' share of a step at V shards = (gradients(V) − gradients(1)) / (gradients(V) + update).
//
//   pnpm build && node bench/step-parts.mjs [--arch A|B] [--batch 64] [--shards 1,4,16] [--kernel native|wasm] [--reps 400]
//
// Prints one JSON line per V (µs per call, median of 5 rounds, min–max).
import { ARCHS, childSetup, flagsOf, stats } from './common.mjs';

const args = flagsOf(process.argv.slice(2));
const arch = String(args.arch ?? 'A');
const batch = Number(args.batch ?? (arch === 'A' ? 64 : 256));
const kernel = String(args.kernel ?? 'native');
const reps = Number(args.reps ?? 400);
const shardCounts = String(args.shards ?? '1,4,16').split(',').map(Number);
const { core, coord, data, spec } = await childSetup(arch);
const { createKernels } = await import('../packages/worker/dist/index.js');
const { kernels: evalKernels } = await createKernels(kernel);

/** CPU µs per call of fn(i), median and spread of 5 rounds of `reps` calls (50 warm-up calls first). */
function cpuTime(fn) {
  for (let i = 0; i < 50; i++) fn(i);
  const rounds = [];
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) fn(i);
    const c = process.cpuUsage(c0);
    rounds.push((c.user + c.system) / reps);
  }
  const s = stats(rounds);
  return { median: +s.median.toFixed(1), min: +s.min.toFixed(1), max: +s.max.toFixed(1) };
}

const T = data.trainRows.length;
const pos = (i) => (i * batch) % (T - batch);
const n0 = spec.sizes[0];
const nL = spec.sizes.at(-1);
for (const V of shardCounts) {
  const settings = { spec, optimizer: core.optimizerConfig('sgd'), lr: 0.1, schedule: { kind: 'constant' }, batch, epochs: 1e9, shards: V, seed: 1, init: 'glorot' };
  const run = await coord.TrainingRun.create(settings, { X: data.X, Y: data.Y, train: data.trainRows, val: new Uint32Array(0) }, { workers: 0, kernel, engine: coord.nodeEngine(0), evalKernels });
  const w = run.engine.worker;
  const gatherUs = cpuTime((i) => core.gatherRows(w.ws, data.X, data.Y, run.data.order, pos(i), batch, n0, nL, w.kernels));
  const forwardUs = cpuTime(() => core.forward(spec, w.ws, batch, w.kernels));
  const gradientsUs = cpuTime((i) => w.gradients(pos(i), pos(i) + batch));
  const updateUs = cpuTime((i) => w.update(batch, 1e-4, i + 1));
  console.log(JSON.stringify({ bench: 'step-parts', arch: ARCHS[arch], batch, shards: V, rowsPerShard: batch / V, kernel: w.kernels.name, gatherUs, forwardUs, gradientsUs, updateUs }));
  await run.close();
}
