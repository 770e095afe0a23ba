import { ACTIVATIONS, allSkips, errors, LOSSES, mlpSpec, normalizeSkips, type Activation, type Loss, type MLPSpec } from '@shardgrad/core';
import { settingOrDefault } from '@shardgrad/coordinator';
import type { Argv } from 'yargs';
import { positiveIntList } from './numbers.js';
import { settingOption } from './settings.js';

/** The flags that choose a network: shared by train, bench and gradcheck. */
export interface ArchitectureFlags {
  hidden?: string;
  layers?: string;
  activation?: string;
  output?: string;
  loss?: string;
  skip?: unknown;
  connect?: unknown;
}


/** The output activations a trained network may have (every activation can be the last). */
export const OUTPUT_CHOICES = ACTIVATIONS;

/** Adds --hidden | --layers, --activation, --output, --loss, --skip and --connect to a command. */
export function architectureOptions(a: Argv, defaultHidden: string): Argv {
  return skipOptions(a)
    .option('hidden', { type: 'string', describe: `hidden layer sizes, comma separated (input and output sizes come from the data) [default: ${defaultHidden}]` })
    .option('layers', { type: 'string', describe: 'all layer sizes, input to output, e.g. 784,128,10 (instead of --hidden)' })
    .conflicts('hidden', 'layers')
    .option('activation', settingOption('activation', { noDefault: true })) // no yargs default: train --from must see whether it was given
    .option('output', { choices: OUTPUT_CHOICES, describe: 'output activation [default: softmax with ce; with mse, sigmoid for classes and identity for regression]' })
    .option('loss', { choices: LOSSES, describe: 'ce (softmax cross-entropy) or mse [default: ce for classes (mse with a --output other than softmax), mse for regression]' });
}

/** Adds --skip and --connect: connections that skip layers (Rumelhart, Hinton & Williams 1986). */
export function skipOptions(a: Argv): Argv {
  return a
    .option('skip', { type: 'string', describe: 'all: every layer also receives every lower layer (connections that skip layers)' })
    .option('connect', { type: 'string', array: true, describe: 'connections that skip layers, FROM>TO layer numbers (0 = input), e.g. 0>2; repeat or comma-separate' });
}

/**
 * The skip pairs of --skip / --connect for a network of L weight layers, sorted by target then
 * source; [] for neither. Every mistake (a pair out of range, going downwards, adjacent, given
 * twice, unreadable) is one line naming the flag.
 */
export function skipsFromFlags(f: { skip?: unknown; connect?: unknown }, L: number): [number, number][] {
  const connect = f.connect === undefined ? [] : (Array.isArray(f.connect) ? f.connect : [f.connect]).map(String);
  if (f.skip !== undefined) {
    if (Array.isArray(f.skip)) throw errors.badInput('--skip', `given ${f.skip.length} times, give it once`);
    if (String(f.skip).trim() !== 'all') throw errors.badInput('--skip', `the one value is "all", got "${String(f.skip)}" (use --connect FROM>TO for single connections)`);
    if (connect.length > 0) throw errors.badInput('--connect', 'cannot be combined with --skip all (which already connects every pair)');
    return allSkips(Array.from({ length: L + 1 }, () => 1));
  }
  const pairs = connect
    .flatMap((c) => c.split(','))
    .map((part): [number, number] => {
      const m = /^\s*(\d+)\s*>\s*(\d+)\s*$/.exec(part);
      if (!m) throw errors.badInput('--connect', `expected FROM>TO layer numbers such as 0>2, got "${part}"`);
      return [Number(m[1]), Number(m[2])];
    });
  return normalizeSkips(pairs, L, '--connect');
}

/**
 * The network for data with `inputs` inputs and `outputs` outputs. `--output` picks the output
 * activation; without it cross-entropy gets a softmax output, and MSE a sigmoid output for classes
 * (targets in [0, 1]) and identity for regression. A non-softmax --output implies MSE, softmax
 * implies cross-entropy. `--layers` must start and end with the data's sizes.
 */
export function specFromFlags(
  f: ArchitectureFlags,
  defaultHidden: string,
  data: { inputs: number; outputs: number; task: 'classification' | 'regression'; name: string },
): MLPSpec {
  let sizes: number[];
  if (f.layers !== undefined) {
    sizes = positiveIntList('--layers', f.layers);
    if (sizes.length < 2) throw errors.badInput('--layers', 'needs at least an input and an output size');
    if (sizes[0] !== data.inputs)
      throw errors.badInput('--layers', `the first size must be the ${data.inputs} inputs of ${data.name}, got ${sizes[0]}`);
    if (sizes[sizes.length - 1] !== data.outputs)
      throw errors.badInput('--layers', `the last size must be the ${data.outputs} outputs of ${data.name}, got ${sizes[sizes.length - 1]}`);
  } else {
    const hidden = f.hidden === '' || f.hidden === '0' ? [] : positiveIntList('--hidden', f.hidden ?? defaultHidden);
    sizes = [data.inputs, ...hidden, data.outputs];
  }
  const given = f.output as Activation | undefined;
  const loss = (f.loss ?? (given === 'softmax' ? 'ce' : given !== undefined ? 'mse' : data.task === 'classification' ? 'ce' : 'mse')) as Loss;
  if (loss === 'ce' && data.task === 'regression') throw errors.badInput('--loss', `ce needs class labels, ${data.name} has regression targets`);
  if (loss === 'ce' && data.outputs < 2) throw errors.badInput('--loss', `ce needs at least 2 classes, ${data.name} has ${data.outputs} output`);
  if (given === 'softmax' && loss !== 'ce') throw errors.badInput('--output', 'softmax is trained with the cross-entropy loss: use --loss ce (or leave --loss out)');
  if (given !== undefined && given !== 'softmax' && loss === 'ce') throw errors.badInput('--output', `${given} cannot be trained with --loss ce (cross-entropy needs a softmax output): use --loss mse`);
  const output: Activation = given ?? (loss === 'ce' ? 'softmax' : data.task === 'classification' ? 'sigmoid' : 'identity');
  return mlpSpec(sizes, settingOrDefault('activation', f.activation), output, loss, skipsFromFlags(f, sizes.length - 1));
}
