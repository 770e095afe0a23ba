import type { Model } from './model.js';
import type { TrainOptions } from './options.js';
import { Trainer } from './trainer.js';

/**
 * Trains a network on x and y with the CLI's defaults for everything not given, and resolves with
 * the model. Bad options throw (synchronously checked, reported as a rejection) a one-line
 * ShardgradError naming the option; a diverging run rejects with one naming the step.
 */
export async function train(options: TrainOptions): Promise<Model> {
  return new Trainer(options).run();
}
