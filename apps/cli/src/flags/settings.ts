import { checkSetting, SETTINGS, type SettingName, type SettingValue } from '@shardgrad/coordinator';
import type { Argv, Options } from 'yargs';
import { finite, single } from './numbers.js';

/**
 * The flags of the training settings, generated from the settings schema (the coordinator's
 * settings/schema.ts): flag name, choices, default, description. Numbers are declared without a
 * yargs type, so a value arrives as the text typed (a message can quote it); settingFromFlag
 * parses it and runs the schema's check, whose errors name the field and print as the flag.
 */

/** The argv key yargs gives a flag: --lr-schedule → lrSchedule. */
export function argvKey(name: SettingName): string {
  return SETTINGS[name].flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** What a command says differently from the schema: a default decided elsewhere, words added to --help. */
export interface FlagOverride {
  /** no yargs default: the command must see whether the flag was given (train --from) */
  readonly noDefault?: boolean;
  /** the default as --help shows it */
  readonly defaultDescription?: string;
  /** appended to the schema's description */
  readonly note?: string;
}

/** The yargs declaration of one setting's flag. */
export function settingOption(name: SettingName, o: FlagOverride = {}): Options {
  const s = SETTINGS[name] as (typeof SETTINGS)[SettingName];
  const describe = o.note ? `${s.description} ${o.note}` : s.description;
  const text = o.defaultDescription ?? ('defaultText' in s ? s.defaultText : undefined);
  const given = o.noDefault || s.default === undefined ? {} : { default: s.default };
  const shown = text !== undefined ? { defaultDescription: text } : o.noDefault && s.default !== undefined ? { defaultDescription: String(s.default) } : {};
  const kind = s.type === 'choice' ? { choices: s.choices } : s.type === 'text' ? { type: 'string' as const } : {};
  return { describe, ...kind, ...given, ...shown };
}

/** Adds the flags of these settings to a command. */
export function settingOptions(a: Argv, names: readonly SettingName[], overrides: Partial<Record<SettingName, FlagOverride>> = {}): Argv {
  return names.reduce((y, name) => y.option(SETTINGS[name].flag.slice(2), settingOption(name, overrides[name])), a);
}

/**
 * A setting's value from its flag: the text of a number parsed (one line naming the flag, for text
 * that is not a number), then the schema's check. undefined when the flag was not given and the
 * schema has no default.
 */
export function settingFromFlag<K extends SettingName>(name: K, argv: Record<string, unknown>): SettingValue<K> | undefined {
  const s = SETTINGS[name];
  const raw = argv[argvKey(name)];
  if (raw === undefined) return s.default === undefined ? undefined : checkSetting(name, s.default);
  const value = s.type === 'number' || s.type === 'integer' ? finite(s.flag, raw) : s.type === 'text' ? single(s.flag, raw) : raw;
  return checkSetting(name, value);
}
