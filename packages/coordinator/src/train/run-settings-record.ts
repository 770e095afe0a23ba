import { crc32Of } from '@shardgrad/core';
import type { TrainConfig } from '../api.js';

/**
 * Which settings of a run decide its bytes, for checkpoints: a resumed run must end with the bytes
 * of an uninterrupted one, so a checkpoint records every such setting and a resume with any other
 * value is refused. The record is derived from the run's settings object itself: every field counts
 * unless `decidesBytes` says it does not, so a field added to TrainConfig is pinned without anyone
 * listing it here. (A settings schema can supply `decidesBytes` from its field descriptions.)
 */

/**
 * TrainConfig fields that decide how a run is executed or how long it goes on, never the bytes of
 * θ after a given step: worker threads, kernels and MPI ranks give the same bits (the reduction tree
 * is fixed by `shards`); checkpoint places, the resume source and injected faults change nothing;
 * `epochs` only says where to stop (a run resumed with a larger --epochs ends where an uninterrupted
 * run of that length does; a schedule that depends on the length differs, and is refused).
 */
const EXECUTION_ONLY: ReadonlySet<string> = new Set(['workers', 'kernel', 'distributed', 'checkpointDir', 'checkpointEvery', 'resumeFrom', 'fault', 'epochs']);

/** Whether the TrainConfig field `field` decides the bytes of the run (the default rule). */
export type DecidesBytes = (field: string) => boolean;
export const decidesBytes: DecidesBytes = (field) => !EXECUTION_ONLY.has(field);

/** A JSON value, as stored in a checkpoint's header. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Digests of typed arrays already seen (a data set is digested once per run, not per checkpoint). */
const digests = new WeakMap<ArrayBufferView, Json>();

/** A typed array (the data, fine-tuning parameters) as its length and the CRC-32 of its bytes. */
function digest(a: ArrayBufferView): Json {
  let d = digests.get(a);
  if (d === undefined) {
    d = { length: (a as unknown as { length: number }).length, crc32: crc32Of(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)) };
    digests.set(a, d);
  }
  return d;
}

/** A canonical JSON form of a setting's value: undefined left out, non-finite numbers as text, typed arrays digested. */
function canonical(v: unknown): Json {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (ArrayBuffer.isView(v)) return digest(v);
  if (Array.isArray(v)) return v.map(canonical);
  if (typeof v === 'object') {
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(v)) {
      const c = canonical((v as Record<string, unknown>)[key]);
      if (c !== null) out[key] = c;
    }
    return out;
  }
  return String(v);
}

/**
 * A data set is recorded by what decides the bytes (its rows, splits and values), not by its display
 * name (a renamed file trains the same); the row counts first, so a difference is told by them.
 */
const recordedValue = (field: string, value: unknown): unknown => {
  if (field !== 'data') return value;
  const { rows, trainRows, testRows, inputs, outputs, task, name: _shown, ...rest } = value as TrainConfig['data'];
  return { rows, trainRows, testRows, inputs, outputs, task, ...rest };
};

/** The settings of `c` that decide its bytes, in canonical form: what a checkpoint records. */
export function runSettingsRecord(c: TrainConfig, decides: DecidesBytes = decidesBytes): { [field: string]: Json } {
  const out: { [field: string]: Json } = {};
  for (const field of Object.keys(c).sort()) {
    if (!decides(field)) continue;
    const value = canonical(recordedValue(field, (c as unknown as Record<string, unknown>)[field]));
    if (value !== null) out[field] = value;
  }
  return out;
}

export interface SettingDifference {
  /** the TrainConfig field that differs */
  readonly field: string;
  /** where inside its value, when the value is an object ("trainRows.length"); empty for a plain value */
  readonly inside: string;
  readonly was: Json;
  readonly now: Json;
}

/** The first place (keys in the recorded order, depth first) where two values differ, or undefined. */
function firstLeafDifference(was: Json, now: Json, inside: string[]): { inside: string[]; was: Json; now: Json } | undefined {
  const isObject = (x: Json): x is { [key: string]: Json } => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (isObject(was) && isObject(now)) {
    for (const key of new Set([...Object.keys(was), ...Object.keys(now)])) {
      const d = firstLeafDifference(was[key] ?? null, now[key] ?? null, [...inside, key]);
      if (d) return d;
    }
    return undefined;
  }
  return JSON.stringify(was) === JSON.stringify(now) ? undefined : { inside, was, now };
}

/**
 * The first setting in which a checkpoint's record and this run's differ, or undefined when they
 * agree. Plain values are compared before objects (the data, the network), so a changed --seed is
 * named as such rather than by the data it generates.
 */
export function firstSettingDifference(was: { [field: string]: Json }, now: { [field: string]: Json }): SettingDifference | undefined {
  const isPlain = (f: string) => typeof (now[f] ?? was[f]) !== 'object';
  const fields = [...new Set([...Object.keys(was), ...Object.keys(now)])].sort();
  for (const field of [...fields.filter(isPlain), ...fields.filter((f) => !isPlain(f))]) {
    const d = firstLeafDifference(was[field] ?? null, now[field] ?? null, []);
    if (d) return { field, inside: d.inside.join('.'), was: d.was, now: d.now };
  }
  return undefined;
}
