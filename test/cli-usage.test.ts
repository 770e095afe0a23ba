import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, expectOneLineError, runCliAsync, tempDir } from './cli-helpers.js';

/** The small things a first-time user meets: --version, typos, help text, relative paths, worker counts. */
const pkgDir = path.resolve(path.dirname(CLI), '..');

describe.concurrent('usage', () => {
  it('--version prints the CLI package version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string };
    const r = await runCliAsync(['--version']);
    expect([r.status, r.stdout]).toEqual([0, `${version}\n`]);
  });

  it('a mistyped flag names the flag it is close to', async () => {
    expectOneLineError(await runCliAsync(['train', '--epoch', '3']), 'Unknown argument: epoch; did you mean --epochs?');
    expectOneLineError(await runCliAsync(['eval', '--model', 'm.sgm', '--splt', 'all']), 'Unknown argument: splt; did you mean --split?');
    // nothing close: no guess
    expectOneLineError(await runCliAsync(['train', '--frobnicate', '1']), /^shardgrad: Unknown argument: frobnicate \(see shardgrad --help\)$/);
  });

  it('--help shows numeric defaults as numbers, and --workers one default', async () => {
    const help = (await runCliAsync(['train', '--help'])).stdout;
    const line = (flag: string) => help.split('\n').find((l) => l.trimStart().startsWith(`${flag} `))!;
    expect(line('--lr')).toMatch(/\[default: 0\.1\]$/);
    expect(line('--batch')).toMatch(/\[default: 64\]$/);
    expect(help).not.toMatch(/\[default: "\d/);
    const workers = help.slice(help.indexOf('--workers'), help.indexOf('--shards'));
    expect(workers.match(/default/g)).toHaveLength(1);
    expect(workers).toContain(`${availableParallelism()} here`);
  });

  it('--data FILE.csv suggests csv:FILE.csv', async () => {
    expectOneLineError(await runCliAsync(['train', '--data', 'iris.csv']), 'did you mean csv:iris.csv?');
  });

  it('--workers far above the cores is one line naming the core count, in train and bench', async () => {
    const cores = availableParallelism();
    const most = 4 * cores;
    const message = `--workers: ${most + 1} is far more than the ${cores} core${cores === 1 ? '' : 's'} of this machine (at most ${most}: 4 per core)`;
    expectOneLineError(await runCliAsync(['train', '--data', 'xor:40', '--workers', String(most + 1)]), message);
    expectOneLineError(await runCliAsync(['bench', '--data', 'xor:40', '--workers', `1,${most + 1}`]), message);
  });

  it('--workers 0 runs the step in the main thread, with the same model bytes as worker threads', async () => {
    const dir = tempDir('workers0');
    const run = (w: string) => runCliAsync(['train', '--data', 'xor:40', '--hidden', '4', '--epochs', '2', '--batch', '8', '--workers', w, '--out', path.join(dir, `w${w}.sgm`)]);
    const [zero, two] = await Promise.all([run('0'), run('2')]);
    expect([zero.status, two.status]).toEqual([0, 0]);
    expect(readFileSync(path.join(dir, 'w0.sgm')).equals(readFileSync(path.join(dir, 'w2.sgm')))).toBe(true);
  });
});

describe('relative paths under pnpm', () => {
  it('`pnpm shardgrad …` resolves --out against the folder it was typed in (INIT_CWD), not the repository root', () => {
    // pnpm runs the root script from the root and says where the user was in INIT_CWD
    const root = path.resolve(pkgDir, '../..');
    const here = tempDir('init-cwd');
    const env = { ...process.env, npm_lifecycle_event: 'shardgrad', INIT_CWD: here };
    const r = spawnSync(process.execPath, [CLI, 'train', '--data', 'xor:40', '--hidden', '2', '--epochs', '1', '--batch', '8', '--workers', '1', '--out', 'rel.sgm'], {
      cwd: root,
      env,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(path.join(here, 'rel.sgm'))).toBe(true);
    expect(existsSync(path.join(root, 'rel.sgm'))).toBe(false);
  });
});
