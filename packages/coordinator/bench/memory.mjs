// Peak memory of training with 1 and 8 workers, on MNIST and on a 64-row dataset of the same width:
// the difference-of-differences is what 7 extra workers cost *because of the dataset* — zero if the
// dataset is shared, 7 × 31 MB if each worker copied it. Each measurement runs in a fresh process.
// Run: pnpm build && node packages/coordinator/bench/memory.mjs  → JSON on stdout.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./memory-child.mjs', import.meta.url));
const measure = (workers, data) => JSON.parse(execFileSync(process.execPath, ['--expose-gc', child, String(workers), data], { encoding: 'utf8' }));

/** Runs the four measurements and derives the per-worker costs. */
export function memoryReport() {
  const m1 = measure(1, 'mnist');
  const m8 = measure(8, 'mnist');
  const s1 = measure(1, 'small');
  const s8 = measure(8, 'small');
  // scratch per worker: capacity ⌈64/16⌉ = 4 rows × (x 784 + t 10 + v,y,dy,dv of 128 and 10) floats
  const workspaceBytesPerWorker = 4 * (784 + 10 + 4 * (128 + 10)) * 4;
  const mnistExtra = m8.peakTrainingRss - m1.peakTrainingRss;
  const threadExtra = s8.peakTrainingRss - s1.peakTrainingRss;
  return {
    measurements: [m1, m8, s1, s8],
    datasetBytes: m1.datasetBytes,
    gradientRegionBytes: m1.gradientRegionBytes,
    workspaceBytesPerWorker,
    extraFor7WorkersOnMnist: mnistExtra,
    extraFor7WorkersOnSmallData: threadExtra,
    extraPerWorkerOnMnist: mnistExtra / 7,
    datasetDependentExtra: mnistExtra - threadExtra,
    ifEachWorkerCopiedTheDataset: 7 * m1.datasetBytes,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(JSON.stringify(memoryReport(), null, 2) + '\n');
