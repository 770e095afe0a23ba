#!/usr/bin/env node
import { ExitCode, isShardgradError } from '@shardgrad/core';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { registerBench } from './commands/bench.js';
import { registerEval } from './commands/eval.js';
import { registerExplain } from './commands/explain.js';
import { registerGradcheck } from './commands/gradcheck.js';
import { registerPredict } from './commands/predict.js';
import { registerTrain } from './commands/train.js';

/** Prints a user error as one line and exits with its code; anything else is a bug and keeps its stack. */
function fail(e: unknown): never {
  if (isShardgradError(e)) {
    process.stderr.write(`shardgrad: ${e.message}\n`);
    process.exit(e.exitCode);
  }
  process.stderr.write(`shardgrad: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(ExitCode.trainingFailed);
}

/** yargs names an unknown kebab-case flag twice (learning-rate, learningRate): keep the spelling the user typed. */
function usageMessage(msg: string): string {
  const m = /^Unknown arguments?: (.*)$/s.exec(msg);
  if (!m) return msg;
  const names = m[1].split(', ');
  const camel = (n: string) => n.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const kept = names.filter((n) => !names.some((o) => o !== n && o.includes('-') && camel(o) === n));
  return `Unknown argument${kept.length === 1 ? '' : 's'}: ${kept.join(', ')}`;
}

/** yargs reads a lone "-" as a positional; `--input -` (stdin) must stay the flag's value. */
function keepStdinDash(args: string[]): string[] {
  return args.flatMap((a, i) => (a === '-' && args[i - 1]?.startsWith('--') ? [] : a.startsWith('--') && args[i + 1] === '-' && !a.includes('=') ? [`${a}=-`] : [a]));
}

async function main(): Promise<void> {
  let cli = yargs(keepStdinDash(hideBin(process.argv)))
    .scriptName('shardgrad')
    .usage('$0 <command> [options]\n\nData-parallel training of multilayer perceptrons on the cores of one machine.')
    .strict()
    .demandCommand(1, 'name a command')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(false)
    .epilogue('Exit codes: 0 ok, 1 training failed (divergence), 2 bad input or usage, 130 interrupted (SIGINT), 143 terminated (SIGTERM).')
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((msg, err) => {
      if (err) throw err;
      // usage errors from yargs itself: unknown flag, missing argument, bad choice
      process.stderr.write(`shardgrad: ${usageMessage(msg).replace(/\s*\n\s*/g, ' ')} (see shardgrad --help)\n`);
      process.exit(ExitCode.badInput);
    });
  cli = registerTrain(cli);
  cli = registerEval(cli);
  cli = registerPredict(cli);
  cli = registerBench(cli);
  cli = registerExplain(cli);
  cli = registerGradcheck(cli);
  await cli.parseAsync();
}

main().catch(fail);
