import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadModel } from '@shardgrad/coordinator';
import { fingerprint } from '../src/views/fingerprint.js';
import { WEB_ROOT } from './browser-harness.js';

const CLI = path.resolve(WEB_ROOT, '../cli/dist/main.js');

/**
 * `shardgrad train` with the page's default settings (spiral, seed 42, 2-16-16-2 relu + softmax, He
 * init, Adam η = 0.03, batch 32, 16 virtual shards, no input scaling) for `epochs` epochs, in Node,
 * on `workers` threads, with `extra` flags (e.g. --sync local:4 --replicas 4): the fingerprint of the weights it saves.
 */
export function cliFingerprint(epochs: number, kernel: 'wasm' | 'reference', extra: readonly string[] = [], workers = 2): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'shardgrad-web-cli-'));
  const out = path.join(dir, 'm.sgm');
  execFileSync(process.execPath, [
    CLI, 'train', '--data', 'spiral', '--seed', '42', '--hidden', '16,16', '--activation', 'relu', '--init', 'he',
    '--optimizer', 'adam', '--lr', '0.03', '--batch', '32', '--shards', '16', '--preprocess', 'none',
    '--epochs', String(epochs), '--workers', String(workers), '--kernel', kernel, '--out', out, ...extra,
  ], { stdio: 'pipe' });
  const params = loadModel(out).params;
  rmSync(dir, { recursive: true, force: true });
  return fingerprint(params);
}
