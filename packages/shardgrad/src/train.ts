import type { LabelOf, Targets } from './data.js';
import type { TrainedModel } from './model.js';
import type { TrainOptions } from './options.js';
import { Trainer } from './trainer.js';

/**
 * Trains a network on x and y with the CLI's defaults for everything not given, and resolves with
 * the model (`classify` typed from y: string labels give their names, numbers class indices). Bad
 * options throw (synchronously checked, reported as a rejection) a one-line ShardgradError naming
 * the option; a diverging run rejects with one naming the step; an already-aborted `signal`
 * rejects with its reason.
 */
export async function train<const Y extends Targets>(options: TrainOptions & { readonly y: Y }): Promise<TrainedModel<LabelOf<Y>>> {
  return new Trainer(options).run();
}
