import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import xterm from '@xterm/headless';
import { describe, expect, it } from 'vitest';
import { CLI, tempDir } from './cli-helpers.js';

/**
 * The progress bar on a real terminal: the CLI runs under `script` (a pseudo-terminal, 80 columns),
 * Ctrl-C is typed into it as the byte 0x03, and the bytes it prints are replayed into a headless
 * xterm.js terminal of the same width, so the test sees the screen a user would.
 */
const hasScript = spawnSync('script', ['--version']).status === 0;
const COLS = 80;

/** The screen's lines after `bytes`, with lines the terminal wrapped joined back into one. */
function screen(bytes: string): Promise<string[]> {
  const term = new xterm.Terminal({ cols: COLS, rows: 200, allowProposedApi: true });
  return new Promise((resolve) =>
    term.write(bytes, () => {
      const b = term.buffer.active;
      const lines: string[] = [];
      for (let i = 0; i < b.length; i++) {
        const line = b.getLine(i)!;
        const text = line.translateToString(true);
        if (line.isWrapped && lines.length) lines[lines.length - 1] += text;
        else lines.push(text);
      }
      resolve(lines.filter((l) => l.trim() !== ''));
    }),
  );
}

/** Runs the CLI on a pseudo-terminal; types Ctrl-C once `ready(output so far)` holds. */
function onTerminal(args: string[], ready: (out: string) => boolean): Promise<{ out: string; status: number | null; typed: boolean }> {
  const command = `stty cols ${COLS} rows 60; exec ${process.execPath} ${CLI} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let typed = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (!typed && ready(out)) {
        typed = true;
        child.stdin.write('\x03');
      }
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ out, status, typed }));
  });
}

describe.runIf(hasScript)('the progress bar on an 80-column terminal', () => {
  it('epoch lines keep every field, and the Ctrl-C notice gets a line of its own', async () => {
    const dir = tempDir('terminal');
    // 2,000 digits, batch 64: 32 steps an epoch, 40 epochs, far from done when Ctrl-C comes after epoch 1
    const args = ['train', '--limit', '2000', '--hidden', '16', '--epochs', '40', '--workers', '1', '--out', path.join(dir, 'm.sgm')];
    const r = await onTerminal(args, (out) => out.includes('epoch 1/40  train loss'));
    expect(r.typed).toBe(true);
    expect(r.status).toBe(130);
    const lines = await screen(r.out);
    // the whole epoch line, to its wall time, even though it is longer than 80 columns
    const epoch1 = lines.find((l) => l.startsWith('epoch 1/40  train loss'));
    expect(epoch1, lines.join('\n')).toMatch(/^epoch 1\/40 {2}train loss \d\.\d{4} {2}val loss \d\.\d{4} {2}val accuracy \d+\.\d\d% {2}B_simple -?[\d.e+]+ {2}\d+ samples\/s {2}\d+\.\d s$/);
    expect(epoch1!.length).toBeGreaterThan(COLS);
    // the notice starts its own line and is whole; no bar text shares it
    const notice = `shardgrad: SIGINT: finishing the current step, then writing the model so far to ${path.join(dir, 'm.sgm')} (send it again to quit at once)`;
    expect(lines).toContain(notice);
    expect(lines.filter((l) => l.includes('ETA') && l.includes('shardgrad:'))).toEqual([]);
    expect(lines[lines.length - 1]).toMatch(/^shardgrad: interrupted by SIGINT at step \d+: the model so far written to /);
  });
});
