import { errors } from '@shardgrad/core';

/**
 * A fault to inject, for tests: worker task `worker` fails at global step `step` (1-based), once
 * (the retry succeeds). `exit` ends the worker thread; `throw` throws from the task.
 * Read from the SHARDGRAD_FAULT environment variable: "worker=1,step=3,kind=exit".
 */
export interface FaultSpec {
  readonly worker: number;
  readonly step: number;
  readonly kind: 'exit' | 'throw';
}

export const FAULT_ENV = 'SHARDGRAD_FAULT';

/** Parses a SHARDGRAD_FAULT value; undefined or empty means no fault. Throws a one-line error naming the variable. */
export function parseFaultSpec(value: string | undefined): FaultSpec | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const fields = new Map<string, string>();
  for (const part of value.split(',')) {
    const [k, v] = part.split('=').map((s) => s.trim());
    if (!k || v === undefined) throw errors.badInput(FAULT_ENV, `"${part}" is not key=value`);
    fields.set(k, v);
  }
  const worker = Number(fields.get('worker'));
  const step = Number(fields.get('step'));
  const kind = fields.get('kind') ?? 'exit';
  if (!Number.isInteger(worker) || worker < 0) throw errors.badInput(FAULT_ENV, 'worker must be a non-negative integer');
  if (!Number.isInteger(step) || step < 1) throw errors.badInput(FAULT_ENV, 'step must be a positive integer');
  if (kind !== 'exit' && kind !== 'throw') throw errors.badInput(FAULT_ENV, `kind must be exit or throw, not "${kind}"`);
  return { worker, step, kind };
}
