import { deriveSeed, errors, Rng, SEED_STREAM } from '@shardgrad/core';
import { sharedFloat32, type Dataset } from './dataset.js';
import { heldOutSplit, shuffledRowOf } from './split.js';

export const SYNTHETIC_NAMES = ['xor', 'circles', 'spiral', 'blobs'] as const;
export type SyntheticName = (typeof SYNTHETIC_NAMES)[number];

export interface SyntheticOptions {
  readonly samples?: number;
  readonly noise?: number;
  readonly classes?: number;
}

/**
 * Default size, noise and class count of each built-in 2D set, and the class counts it allows.
 * - xor: 4 gaussian clusters at (±1, ±1), std `noise`; class 1 where x·y < 0 (the cluster's sign)
 * - circles: class k on a ring of radius 0.5·(k+1), radius jittered by gaussian `noise`
 * - spiral: arm k at angle 2πk/C + 4t with radius t ∈ [0, 1), angle jittered by gaussian `noise`
 * - blobs: class k a gaussian of std `noise` around (2·cos 2πk/C, 2·sin 2πk/C)
 */
export const SYNTHETIC = {
  xor: { samples: 600, noise: 0.3, classes: 2, minClasses: 2, maxClasses: 2 },
  circles: { samples: 600, noise: 0.05, classes: 2, minClasses: 2, maxClasses: 2 },
  spiral: { samples: 600, noise: 0.2, classes: 2, minClasses: 2, maxClasses: 10 },
  blobs: { samples: 600, noise: 0.5, classes: 3, minClasses: 2, maxClasses: 20 },
} as const;

const MAX_SAMPLES = 10_000_000;

/** The options with defaults filled in; out-of-range values throw a ShardgradError naming `--data`. */
export function syntheticSettings(name: SyntheticName, options: SyntheticOptions = {}): Required<SyntheticOptions> {
  const preset = SYNTHETIC[name];
  const N = options.samples ?? preset.samples;
  const noise = options.noise ?? preset.noise;
  const C = options.classes ?? preset.classes;
  if (!Number.isInteger(C) || C < preset.minClasses || C > preset.maxClasses)
    throw errors.badInput('--data', `${name} has ${preset.minClasses === preset.maxClasses ? `${preset.minClasses}` : `${preset.minClasses} to ${preset.maxClasses}`} classes, not ${C}`);
  if (!Number.isInteger(N) || N < C || N > MAX_SAMPLES)
    throw errors.badInput('--data', `${name} sample count must be a whole number from ${C} to ${MAX_SAMPLES}, not ${N}`);
  if (!Number.isFinite(noise) || noise < 0) throw errors.badInput('--data', `${name} noise must be a finite number ≥ 0, not ${noise}`);
  return { samples: N, noise, classes: C };
}

/**
 * A built-in 2D classification set generated from `seed` (through its data stream): the same seed
 * gives the same bytes. Sample i belongs to class i mod C, so classes are balanced; samples are
 * placed in a seeded order and the last fifth is the test split. X (N, 2), Y (N, C) one-hot.
 */
export function makeSynthetic(name: SyntheticName, seed: number, options: SyntheticOptions = {}): Dataset {
  const { samples: N, noise, classes: C } = syntheticSettings(name, options);
  const dataSeed = deriveSeed(seed, SEED_STREAM.data);
  const rng = new Rng(dataSeed);
  const rowOf = shuffledRowOf(N, deriveSeed(dataSeed, 0));
  const X = sharedFloat32(N * 2); // (N, 2)
  const Y = sharedFloat32(N * C); // (N, C) one-hot
  for (let i = 0; i < N; i++) {
    const k = i % C;
    let x: number;
    let y: number;
    if (name === 'xor') {
      // the i-th sample of a class alternates between its two quadrants
      const s = Math.floor(i / C) % 2 === 0 ? 1 : -1;
      x = s + noise * rng.normal();
      y = (k === 0 ? s : -s) + noise * rng.normal();
    } else if (name === 'circles') {
      const a = 2 * Math.PI * rng.next();
      const r = 0.5 * (k + 1) + noise * rng.normal();
      x = r * Math.cos(a);
      y = r * Math.sin(a);
    } else if (name === 'spiral') {
      const t = rng.next();
      const a = (2 * Math.PI * k) / C + 4 * t + noise * rng.normal();
      x = t * Math.cos(a);
      y = t * Math.sin(a);
    } else {
      const a = (2 * Math.PI * k) / C;
      x = 2 * Math.cos(a) + noise * rng.normal();
      y = 2 * Math.sin(a) + noise * rng.normal();
    }
    const row = rowOf[i];
    X[row * 2] = x;
    X[row * 2 + 1] = y;
    Y[row * C + k] = 1;
  }
  return { name, task: 'classification', X, Y, rows: N, inputs: 2, outputs: C, ...heldOutSplit(N) };
}
