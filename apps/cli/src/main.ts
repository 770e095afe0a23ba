#!/usr/bin/env node
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { flagOf } from '@shardgrad/coordinator';
import { ExitCode, isShardgradError, type ShardgradError } from '@shardgrad/core';
import { closest, distance } from 'fastest-levenshtein';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { registerBench } from './commands/bench.js';
import { registerEval } from './commands/eval.js';
import { registerExplain } from './commands/explain.js';
import { registerExport } from './commands/export.js';
import { registerGradcheck } from './commands/gradcheck.js';
import { registerImport } from './commands/import.js';
import { registerPredict } from './commands/predict.js';
import { registerTrain } from './commands/train.js';
import { launchedRank } from './run/distributed.js';
import { stdoutIsNotTheUsersTerminal } from './io/stdout.js';

/** An error about a setting names its flag here (the layers below name the field: `lr` → `--lr`). */
function userMessage(e: ShardgradError): string {
  const flag = e.setting && flagOf(e.setting.field);
  return flag ? `${flag}: ${e.setting!.problem}` : e.message;
}

/** Prints a user error as one line and exits with its code; anything else is a bug and keeps its stack. */
function fail(e: unknown): never {
  if (isShardgradError(e)) {
    process.stderr.write(`shardgrad: ${userMessage(e)}\n`);
    process.exit(e.exitCode);
  }
  // (straight to the descriptor: a bug is reported by every MPI rank, quiet ones too)
  writeSync(2, `shardgrad: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(ExitCode.trainingFailed);
}

/** The closest known flag to a mistyped one, if it is close enough to be what was meant (--epoch → --epochs). */
function didYouMean(name: string, known: readonly string[]): string {
  if (known.length === 0) return '';
  const best = closest(name, known as string[]);
  return distance(name, best) <= Math.max(1, Math.floor(name.length / 3)) ? `; did you mean --${best}?` : '';
}

/**
 * yargs names an unknown kebab-case flag twice (learning-rate, learningRate): keep the spelling the
 * user typed, and suggest the closest flag the command knows.
 */
function usageMessage(msg: string, known: readonly string[]): string {
  const m = /^Unknown arguments?: (.*)$/s.exec(msg);
  if (!m) return msg;
  const names = m[1].split(', ');
  const camel = (n: string) => n.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const kept = names.filter((n) => !names.some((o) => o !== n && o.includes('-') && camel(o) === n));
  return `Unknown argument${kept.length === 1 ? '' : 's'}: ${kept.join(', ')}${kept.length === 1 ? didYouMean(kept[0], known) : ''}`;
}

/** The kebab-case flags of the command being parsed (yargs swaps in each command's options). */
function knownFlags(y: Argv): string[] {
  // getOptions is public on the instance but missing from @types/yargs
  const options = (y as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions();
  return Object.keys(options.key).filter((k) => !/[A-Z]/.test(k) && k.length > 1 && k !== '$0');
}

/**
 * `pnpm shardgrad …` runs the root package's script from the repository root; INIT_CWD is where
 * the user typed it. Relative paths (--out x.sgm, --data csv:iris.csv) mean that folder, as they
 * do for `npx shardgrad` and `node apps/cli/dist/main.js`.
 */
function runFromCallersFolder(): void {
  const { npm_lifecycle_event: script, INIT_CWD: callers } = process.env;
  if (script === 'shardgrad' && callers) process.chdir(callers);
}

const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** yargs reads a lone "-" as a positional; `--input -` (stdin) must stay the flag's value. */
function keepStdinDash(args: string[]): string[] {
  return args.flatMap((a, i) => (a === '-' && args[i - 1]?.startsWith('--') ? [] : a.startsWith('--') && args[i + 1] === '-' && !a.includes('=') ? [`${a}=-`] : [a]));
}

/** Ranks other than 0 of an MPI job print nothing: rank 0 prints for the job (their exit codes still tell). */
function quietUnlessRankZero(rank: number): void {
  if (rank === 0) return;
  const quiet = (() => true) as unknown as typeof process.stdout.write;
  process.stdout.write = quiet;
  if (!process.env.SHARDGRAD_DEBUG_RANKS) process.stderr.write = quiet;
}

async function main(): Promise<void> {
  runFromCallersFolder();
  const rank = await launchedRank();
  // under mpirun a rank's stdout may be a terminal the launcher made (a pty), not the user's
  if (rank !== undefined) stdoutIsNotTheUsersTerminal();
  quietUnlessRankZero(rank ?? 0);
  let cli = yargs(keepStdinDash(hideBin(process.argv)))
    .scriptName('shardgrad')
    .usage('$0 <command> [options]\n\nData-parallel training of multilayer perceptrons on the cores of one machine, or of several over MPI.')
    .strict()
    .demandCommand(1, 'name a command')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version('version', 'Show the version', VERSION)
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
    .epilogue('Exit codes: 0 ok, 1 training failed (divergence) or a file or stdout could not be written (no space, I/O error), 2 bad input or usage, 3 another MPI rank ended mid-step, 129 hung up (SIGHUP), 130 interrupted (SIGINT), 143 terminated (SIGTERM).')
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((msg, err) => {
      if (err) throw err;
      // usage errors from yargs itself: unknown flag, missing argument, bad choice
      process.stderr.write(`shardgrad: ${usageMessage(msg, knownFlags(cli)).replace(/\s*\n\s*/g, ' ')} (see shardgrad --help)\n`);
      process.exit(ExitCode.badInput);
    });
  cli = registerTrain(cli);
  cli = registerEval(cli);
  cli = registerPredict(cli);
  cli = registerBench(cli);
  cli = registerExplain(cli);
  cli = registerGradcheck(cli);
  cli = registerExport(cli);
  cli = registerImport(cli);
  await cli.parseAsync();
}

main().catch(fail);
