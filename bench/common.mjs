// What the bench scripts share: their flags, the two networks they time, and median/min/max.

/** `--name value` and bare `--flag` (true) from argv. */
export function flagsOf(argv) {
  return Object.fromEntries(argv.flatMap((a, i, all) => (a.startsWith('--') ? [[a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : true]] : [])));
}

/** The networks of the tables: A the CLI's default, B the larger one. */
export const ARCHS = { A: [784, 128, 10], B: [784, 256, 128, 10] };

/** Median, min, max and count of the finite values of a list. */
export function stats(xs) {
  const s = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  const n = s.length;
  return { median: n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2, min: s[0], max: s[n - 1], n };
}

/** A bench child's start: the built packages, relaxed SIMD on, the MNIST digits and network `arch`. */
export async function childSetup(arch) {
  const core = await import('../packages/core/dist/index.js');
  const coord = await import('../packages/coordinator/dist/index.js');
  await core.enableRelaxedSimd();
  return { core, coord, data: coord.loadMnist(), spec: core.mlpSpec(ARCHS[arch], 'relu', 'softmax', 'ce') };
}
