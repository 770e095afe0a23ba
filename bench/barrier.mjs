// The workers' barrier alone (issue 18): W worker threads meet at the engine's own arriveAndWait
// (@shardgrad/worker) N times, with no math between (an empty barrier) or with `--work US` µs of
// busy work on one worker (an imbalance the others wait through), for several spin settings:
// 0 = sleep at once (Atomics.wait, a futex), SPIN_US of polling (the engine's default where every
// worker has a core), and polling without bound. Prints one JSON line per setting: µs per barrier, median and
// min–max over the rounds. Needs `pnpm build`.
//
//   node bench/barrier.mjs [--workers 2] [--barriers 20000] [--rounds 5] [--work 0]
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { flagsOf, stats } from './common.mjs';

const worker = await import('../packages/worker/dist/barrier.js');

if (!isMainThread) {
  const { ctrl, arrivals, W, w, barriers, spin, workUs } = workerData;
  const path = worker.barrierPath(arrivals, W, w);
  // the first barrier lines the threads up (their start-up is not timed)
  worker.arriveAndWait(ctrl, path, spin);
  const t0 = performance.now();
  for (let i = 0; i < barriers; i++) {
    if (workUs > 0 && w === 0) {
      const until = performance.now() + workUs / 1000;
      while (performance.now() < until);
    }
    worker.arriveAndWait(ctrl, path, spin);
  }
  parentPort.postMessage(performance.now() - t0);
} else {
  const args = flagsOf(process.argv.slice(2));
  const W = Number(args.workers ?? 2);
  const barriers = Number(args.barriers ?? 20000);
  const rounds = Number(args.rounds ?? 5);
  const workUs = Number(args.work ?? 0);
  const settings = [['sleep', 0], ['poll-then-sleep', worker.SPIN_US], ['poll', 1e12]];
  const results = Object.fromEntries(settings.map(([name]) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, spin] of settings) {
      const { ctrl, arrivals } = worker.createControlBlock(W);
      const ms = await Promise.all(
        Array.from({ length: W }, (_, w) => new Promise((resolve, reject) => {
          const t = new Worker(fileURLToPath(import.meta.url), { workerData: { ctrl, arrivals, W, w, barriers, spin, workUs } });
          t.on('message', resolve).on('error', reject);
        })),
      );
      results[name].push((Math.max(...ms) * 1000) / barriers - workUs);
    }
  }
  for (const [name, spin] of settings) {
    const s = stats(results[name]);
    console.log(JSON.stringify({ bench: 'barrier', workers: W, setting: name, spinUs: spin, workUs, usPerBarrier: { median: +s.median.toFixed(2), min: +s.min.toFixed(2), max: +s.max.toFixed(2) } }));
  }
}
