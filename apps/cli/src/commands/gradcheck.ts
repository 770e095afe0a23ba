import { ACTIVATIONS, HIDDEN_ACTIVATIONS, skipsSuffix, ExitCode, gradcheck, initParams, LOSSES, Rng, specLayout, ShardgradError, validateSpec, type Activation, type Loss, type MLPSpec } from '@shardgrad/core';
import type { Argv } from 'yargs';
import { print } from '../io/stdout.js';
import { nonNegativeInt, numberOption, positive, positiveInt, positiveIntList } from '../flags/numbers.js';
import { skipOptions, skipsFromFlags } from '../flags/architecture.js';

interface GradcheckFlags {
  layers: string;
  activation: string;
  output?: string;
  loss: string;
  samples: unknown;
  seed: unknown;
  tolerance: unknown;
  floor: unknown;
  json: boolean;
  skip?: unknown;
  connect?: unknown;
}

export function registerGradcheck(y: Argv): Argv {
  return y.command(
    'gradcheck',
    'Check backprop against finite differences (float64) for any architecture, per layer',
    (a) =>
      skipOptions(a)
        .option('layers', { type: 'string', default: '4,5,3', describe: 'layer sizes, input to output' })
        .option('activation', { choices: HIDDEN_ACTIVATIONS, default: 'tanh', describe: 'hidden-layer activation' })
        .option('output', { choices: ACTIVATIONS, describe: 'output activation [default: softmax for ce, identity for mse]' })
        .option('loss', { choices: LOSSES, default: 'ce' })
        .option('samples', numberOption('random samples in the batch', 8))
        .option('seed', numberOption(undefined, 1))
        .option('tolerance', numberOption('largest relative error that passes (exit 1 above it)', 1e-4))
        .option('floor', numberOption('gradients smaller than this are compared absolutely (float64 rounding of the loss dominates them)', 1e-6))
        .option('json', { type: 'boolean', default: false })
        .example('$0 gradcheck', 'a 4-5-3 tanh/softmax network on 8 random samples')
        .example('$0 gradcheck --layers 3,8,8,1 --activation relu --loss mse', 'a deeper ReLU regression network')
        .example('$0 gradcheck --layers 2,3,3,2 --skip all', 'every layer also connected to every lower layer')
        .epilogue('Cost: two forward passes per parameter, so keep networks small (784-128-10 takes minutes).'),
    (argv) => run(argv as unknown as GradcheckFlags),
  );
}

function run(f: GradcheckFlags): void {
  const sizes = positiveIntList('--layers', f.layers);
  const rows = positiveInt('--samples', f.samples);
  const seed = nonNegativeInt('--seed', f.seed);
  const tolerance = positive('--tolerance', f.tolerance);
  const floor = positive('--floor', f.floor);
  const L = sizes.length - 1;
  const output = (f.output ?? (f.loss === 'ce' ? 'softmax' : 'identity')) as Activation;
  const activations = Array.from({ length: L }, (_, l) => (l === L - 1 ? output : (f.activation as Activation)));
  const plain: MLPSpec = { sizes, activations, loss: f.loss as Loss };
  validateSpec(plain, '--layers');
  const skips = skipsFromFlags(f, L);
  const spec: MLPSpec = skips.length > 0 ? { ...plain, skips } : plain;
  const layout = specLayout(spec);
  const params = new Float64Array(layout.total);
  initParams(params, layout, 'glorot', seed);
  // Glorot leaves biases at 0; small random biases exercise their gradient too
  const rng = new Rng(seed + 1);
  for (const s of layout.layers) for (let j = 0; j < s.nOut; j++) params[s.b + j] = rng.uniform(-0.1, 0.1);
  const n0 = sizes[0];
  const nL = sizes[L];
  const X = Float64Array.from({ length: rows * n0 }, () => rng.uniform(-1, 1)); // (R, n0)
  const T = new Float64Array(rows * nL); // (R, nL)
  for (let r = 0; r < rows; r++) {
    if (f.loss === 'ce') T[r * nL + rng.int(nL)] = 1;
    else for (let j = 0; j < nL; j++) T[r * nL + j] = rng.uniform(0, 1);
  }
  const result = gradcheck(spec, params, X, T, rows, { floor });
  const ok = result.maxRelativeError <= tolerance;
  if (f.json) {
    print(JSON.stringify({ layers: sizes, ...(skips.length > 0 ? { skips } : {}), activations: spec.activations, loss: spec.loss, samples: rows, perLayer: result.layers, maxRelativeError: result.maxRelativeError, tolerance, ok }) + '\n');
  } else {
    const e = (x: number) => x.toExponential(2);
    const lines = [`gradcheck ${sizes.join('-')}${skipsSuffix(spec)} (${spec.activations.join(', ')}; ${spec.loss}) on ${rows} random samples, float64, central differences h = 1e-5`];
    for (const l of result.layers) {
      const s = layout.layers[l.layer];
      const into = layout.skipsInto[l.layer].map((i) => ` + W${layout.skips[i].from}→${l.layer + 1} ${layout.skips[i].nIn}×${s.nOut}`).join('');
      lines.push(`  layer ${l.layer + 1} (W ${s.nIn}×${s.nOut}${into}, b ${s.nOut}): largest relative error  W ${e(l.weights)}  b ${e(l.biases)}`);
    }
    lines.push(`largest relative error ${e(result.maxRelativeError)} — ${ok ? 'ok' : 'FAILED'} (tolerance ${e(tolerance)})`);
    print(lines.join('\n') + '\n');
  }
  if (!ok) throw new ShardgradError(`gradcheck: largest relative error ${result.maxRelativeError.toExponential(2)} exceeds ${tolerance}`, ExitCode.trainingFailed);
}
