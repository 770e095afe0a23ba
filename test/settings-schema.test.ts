// The settings schema itself: every default passes its own check, every setting is a flag of
// `shardgrad train` with its description in --help, and a field maps to its flag.
import { describe, expect, it } from 'vitest';
import { checkSetting, DEFAULTS, flagOf, parseSchedule, SETTINGS, shardsFor, type SettingName } from '@shardgrad/coordinator';
import { runCli } from './cli-helpers.js';

const names = Object.keys(SETTINGS) as SettingName[];

describe('the settings schema', () => {
  it('every plain default passes its own check; the others say in words what they are', () => {
    for (const name of names) {
      const s = SETTINGS[name];
      if (s.default !== undefined) expect(checkSetting(name, s.default), name).toEqual(s.default);
      else expect('defaultText' in s || name === 'earlyStop', name).toBe(true);
    }
    expect(DEFAULTS).toEqual({ activation: 'relu', optimizer: 'sgd', lr: 0.1, schedule: 'constant', lrWarmup: 0, lrScale: 'none', batch: 64, epochs: 5, seed: 1, init: 'glorot', preprocess: 'standardize', valSplit: 0, noiseEvery: 8, sync: 'step', kernel: 'auto' });
  });

  it('a bad value names the field; flagOf gives its flag', () => {
    expect(() => checkSetting('lr', -1)).toThrow(expect.objectContaining({ message: 'lr: must be a positive number, got -1', exitCode: 2, setting: { field: 'lr', problem: 'must be a positive number, got -1' } }));
    expect([flagOf('lr'), flagOf('schedule'), flagOf('valSplit'), flagOf('layers'), flagOf('checkpointDir'), flagOf('x')]).toEqual(['--lr', '--lr-schedule', '--val-split', '--layers', '--checkpoint', undefined]);
  });

  it('one schedule parser: text forms and objects, steps counted from the run', () => {
    expect(parseSchedule('step:10:0.5', 100)).toEqual({ kind: 'step', every: 10, gamma: 0.5 });
    expect(parseSchedule('cosine:0.01', 100)).toEqual({ kind: 'cosine', total: 100, minLr: 0.01 });
    expect(parseSchedule({ kind: 'cosine' }, 7)).toEqual({ kind: 'cosine', total: 7, minLr: 0 });
    expect(() => parseSchedule('step:0:0.5', 1)).toThrow('schedule: must be constant, step:EVERY:GAMMA or cosine[:MIN_LR], got "step:0:0.5"');
    expect(() => parseSchedule('cosine:', 1)).toThrow('got "cosine:"');
  });

  it('shards default to batch / 16 between 1 and 16', () => {
    expect([8, 64, 100, 256, 4096].map((b) => shardsFor(undefined, b))).toEqual([1, 4, 6, 16, 16]);
    expect(shardsFor(3, 64)).toBe(3);
  });

  it('`shardgrad train --help` lists every setting by its flag with its description', () => {
    const help = runCli(['train', '--help']).stdout.replace(/\s+/g, ' ');
    for (const name of names) {
      expect(help, name).toContain(`${SETTINGS[name].flag} `);
      expect(help, name).toContain(SETTINGS[name].description.split(' ').slice(0, 3).join(' '));
    }
  });
});
