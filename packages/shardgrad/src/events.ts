import type { EpochEvent, StepEvent } from '@shardgrad/coordinator';

export type { EpochEvent, StepEvent };

/** The events a Trainer emits: after every step, and after every epoch (with its validation). */
export interface TrainerEvents {
  step: StepEvent;
  epoch: EpochEvent;
}

export type TrainerListener<K extends keyof TrainerEvents> = (event: TrainerEvents[K]) => void;
