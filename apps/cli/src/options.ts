import { errors } from '@shardgrad/core';

/** A positive integer flag value, or a one-line error naming the flag. */
export function positiveInt(flag: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw errors.badInput(flag, `must be a positive integer, got ${String(v)}`);
  return v;
}

/** A positive finite number flag value, or a one-line error naming the flag. */
export function positive(flag: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw errors.badInput(flag, `must be a positive number, got ${String(v)}`);
  return v;
}
