import { checkWorkers, isCsvNumber } from '@shardgrad/coordinator';
import { errors } from '@shardgrad/core';

/**
 * Flag values arrive from yargs as strings (numeric flags are declared as strings so a message can
 * quote exactly what the user typed). Every check here fails with one line naming the flag.
 */

/** The one value of a flag; a flag given twice is an error rather than a silent pick. */
export function single(flag: string, v: unknown): string {
  if (Array.isArray(v)) throw errors.badInput(flag, `given ${v.length} times, give it once`);
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string' || v.trim() === '') throw errors.badInput(flag, 'needs a value');
  return v.trim();
}

/** A finite number written as a plain decimal (the CSV rule: no hex, NaN or Infinity), or an error quoting the text. */
export function finite(flag: string, v: unknown): number {
  const s = single(flag, v);
  const x = Number(s);
  if (!isCsvNumber(s) || !Number.isFinite(x)) throw errors.badInput(flag, `must be a number, got "${s}"`);
  return x;
}

/** A positive integer flag value, or a one-line error naming the flag. */
export function positiveInt(flag: string, v: unknown): number {
  const x = finite(flag, v);
  if (!Number.isInteger(x) || x < 1) throw errors.badInput(flag, `must be a positive integer, got ${single(flag, v)}`);
  return x;
}

/** A non-negative integer (seeds, counts that may be zero). */
export function nonNegativeInt(flag: string, v: unknown): number {
  const x = finite(flag, v);
  if (!Number.isInteger(x) || x < 0) throw errors.badInput(flag, `must be a non-negative integer, got ${single(flag, v)}`);
  return x;
}

/** A positive finite number flag value, or a one-line error naming the flag. */
export function positive(flag: string, v: unknown): number {
  const x = finite(flag, v);
  if (x <= 0) throw errors.badInput(flag, `must be a positive number, got ${single(flag, v)}`);
  return x;
}

/** A non-negative finite number (a weight decay). */
export function nonNegative(flag: string, v: unknown): number {
  const x = finite(flag, v);
  if (x < 0) throw errors.badInput(flag, `must be a non-negative number, got ${single(flag, v)}`);
  return x;
}

/** A fraction in [0, 1). */
export function fraction(flag: string, v: unknown): number {
  const x = finite(flag, v);
  if (x < 0 || x >= 1) throw errors.badInput(flag, `must be a fraction in [0, 1), got ${single(flag, v)}`);
  return x;
}

/** A comma-separated list of positive integers ("128,64"). */
export function positiveIntList(flag: string, v: unknown): number[] {
  const s = single(flag, v);
  return s.split(',').map((part) => {
    const x = Number(part.trim());
    if (part.trim() === '' || !Number.isInteger(x) || x < 1)
      throw errors.badInput(flag, `must be comma-separated positive integers, got "${s}"`);
    return x;
  });
}

/**
 * The yargs declaration of a numeric flag: no yargs type, so the value arrives as the text the user
 * typed (main.ts turns off yargs' number parsing) and --help shows the default as a number.
 */
export function numberOption(describe?: string, defaultValue?: number): { describe?: string; default?: number } {
  return { ...(describe !== undefined ? { describe } : {}), ...(defaultValue !== undefined ? { default: defaultValue } : {}) };
}

/**
 * A worker count flag (train, bench): 0 (the step runs in the main thread) or a positive integer, at
 * most 4 per core of this machine (the settings schema's checkWorkers), so that `--workers 1000` on
 * two cores is one line instead of minutes and gigabytes.
 */
export function workerCount(flag: string, v: unknown, cores: number): number {
  return checkWorkers(finite(flag, v), cores);
}
