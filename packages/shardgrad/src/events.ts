// from the coordinator's run module, whose types reach no worker-pool library
import type { EpochEvent, StepEvent } from '@shardgrad/coordinator/run';

export type { EpochEvent, StepEvent };

/** The events a Trainer emits: after every step, and after every epoch (with its validation). */
export interface TrainerEvents {
  step: StepEvent;
  epoch: EpochEvent;
}

export type TrainerListener<K extends keyof TrainerEvents> = (event: TrainerEvents[K]) => void;
