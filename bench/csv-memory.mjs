#!/usr/bin/env node
// Peak memory of `shardgrad train` and `shardgrad predict` on generated CSV files (BENCHMARKS.md,
// "Memory: large CSV files"): `node bench/csv-memory.mjs [MB …]` (default 1 100 600) writes a file of
// about that many megabytes (50 input columns of 4-decimal numbers and a label 0..2), then runs
//   train   --data csv:FILE --hidden 8 --epochs 1 --workers 1 --out model.sgm
//   predict --model model.sgm --input FILE > /dev/null
// under /usr/bin/time -v and prints its maximum resident set size next to the float32 size of the
// data (rows × 50 × 4 bytes). The first (smallest) file gives the constant: the ratio columns are
// (peak − that file's peak) ÷ the float32 data. Needs GNU time (apt-get install time) and the disk
// space of the file.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(root, 'apps/cli/dist/main.js');
const INPUTS = 50;
const sizes = process.argv.slice(2).map(Number);
const MB = 1e6;

/** Writes about `bytes` of CSV; returns its rows. Values from a fixed LCG, so every run writes the same file. */
function writeCsv(file, bytes) {
  const fd = openSync(file, 'w');
  writeSync(fd, Array.from({ length: INPUTS }, (_, j) => `x${j}`).join(',') + ',label\n');
  let s = 12345;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  let rows = 0;
  let written = 0;
  while (written < bytes) {
    const lines = [];
    for (let i = 0; i < 10_000; i++) {
      const cells = [];
      for (let j = 0; j < INPUTS; j++) cells.push((next() * 20 - 10).toFixed(4));
      cells.push(String(Math.floor(next() * 3)));
      lines.push(cells.join(','));
    }
    const text = lines.join('\n') + '\n';
    writeSync(fd, text);
    written += Buffer.byteLength(text);
    rows += lines.length;
  }
  closeSync(fd);
  return rows;
}

function peak(args, stdout) {
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, CLI, ...args], { encoding: 'utf8', stdio: ['ignore', stdout, 'pipe'], maxBuffer: 1 << 26 });
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)/.exec(r.stderr);
  if (r.status !== 0 || !kb) throw new Error(`shardgrad ${args[0]} failed (${r.status}): ${r.stderr.slice(-600)}`);
  return { mb: (Number(kb[1]) * 1024) / MB, wall: wall[1] };
}

const dir = mkdtempSync(path.join(tmpdir(), 'shardgrad-csv-memory-'));
try {
  console.log('| CSV file | rows | float32 data X | train peak RSS (wall) | predict peak RSS (wall) | train above the smallest ÷ X | predict above the smallest ÷ X |');
  console.log('|---|---|---|---|---|---|---|');
  let base;
  for (const size of sizes.length ? sizes : [1, 100, 600]) {
    const file = path.join(dir, `data-${size}.csv`);
    const rows = writeCsv(file, size * MB);
    const csvMb = statSync(file).size / MB;
    const xMb = (rows * INPUTS * 4) / MB;
    const model = path.join(dir, 'model.sgm');
    const train = peak(['train', '--data', `csv:${file}`, '--hidden', '8', '--epochs', '1', '--workers', '1', '--out', model], 'ignore');
    const out = openSync('/dev/null', 'w');
    const predict = peak(['predict', '--model', model, '--input', file], out);
    closeSync(out);
    base ??= { train: train.mb, predict: predict.mb };
    const above = (mb, from) => (mb === from ? '—' : ((mb - from) / xMb).toFixed(2));
    console.log(
      `| ${csvMb.toFixed(0)} MB | ${rows.toLocaleString('en')} | ${xMb.toFixed(0)} MB | ${train.mb.toFixed(0)} MB (${train.wall}) | ${predict.mb.toFixed(0)} MB (${predict.wall}) | ${above(train.mb, base.train)} | ${above(predict.mb, base.predict)} |`,
    );
    rmSync(file);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
