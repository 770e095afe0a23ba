import { checkSetting, withWarmupAndScaling, type SettingName } from '@shardgrad/coordinator/settings';
import { errors, isShardgradError, learningRate, type LrScaleRule } from '@shardgrad/core';

/** The form's warmup and batch-scaling fields, as the page reads them. */
export interface RawLrSchedule {
  readonly warmup: string;
  readonly scale: string;
  readonly baseBatch: string;
}

/** What the page needs to give every step its rate: the settings lrWarmup, lrScale and baseBatch. */
export interface LrSchedule {
  readonly lrWarmup: number;
  readonly lrScale: LrScaleRule;
  /** only with lrScale linear or sqrt */
  readonly baseBatch?: number;
}

/** The form's label of each of these settings. */
const LABELS: Partial<Record<SettingName, string>> = { lrWarmup: 'lr warmup', lrScale: 'lr scale', baseBatch: 'batch B0' };

/**
 * Parses the fields through the settings schema (the CLI's --lr-warmup, --lr-scale and --base-batch
 * checks); a bad one is a one-line error naming its label. The B0 field counts only with a scaling rule.
 */
export function parseLrSchedule(raw: RawLrSchedule): LrSchedule {
  const numberOf = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));
  try {
    const lrWarmup = checkSetting('lrWarmup', raw.warmup.trim() === '' ? 0 : numberOf(raw.warmup));
    const lrScale = checkSetting('lrScale', raw.scale);
    const s: LrSchedule = lrScale === 'none' ? { lrWarmup, lrScale } : { lrWarmup, lrScale, baseBatch: checkSetting('baseBatch', numberOf(raw.baseBatch)) };
    withWarmupAndScaling(s, { kind: 'constant' }, 1);
    return s;
  } catch (e) {
    if (isShardgradError(e) && e.setting) throw errors.badInput(LABELS[e.setting.field as SettingName] ?? e.setting.field, e.setting.problem);
    throw e;
  }
}

/**
 * The rate of step `step` (0-based) for the form's η and batch: core's learningRate over the
 * schedule `shardgrad train --lr-warmup W --lr-scale R --base-batch B0` builds (a constant one), so
 * a batch changed while training rescales η at the next step.
 */
export function stepRate(s: LrSchedule, lr: number, batch: number, step: number): number {
  return learningRate(withWarmupAndScaling(s, { kind: 'constant' }, batch), lr, step);
}
