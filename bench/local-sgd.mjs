// Time to accuracy across a slow link (issue 22): how long, and how many bytes between the ranks,
// each synchronization mode takes to reach a held-out accuracy on MNIST, over
//   shm      one host, one process × 2 worker threads (shared memory: nothing crosses a network)
//   1gbit    2 network-namespace hosts × 1 worker, the veth pair between them limited to 1 Gbit/s
//   100mbit  the same at 100 Mbit/s
// (packages/mpi/scripts/netns-hosts.sh; a token-bucket filter on both ends, docs/distributed.md).
//
//   pnpm build && node bench/local-sgd.mjs [CONFIG …] [--links shm,1gbit,100mbit] [--seeds 3]
//     [--target 0.97] [--epochs 20] [--seconds 600] [--hidden 1024,1024] [--batch 64]
//     [--hogwild-epochs 5] [--hogwild-runs 5] [--quick]
//
// A CONFIG is one argument: a --sync mode and any other `shardgrad train` flags for it, e.g.
//   step   "local:16"   "local:16 --outer nesterov:0.7:0.9 --optimizer adamw"
// (default: step; `step` passes no --sync, so this bench runs on builds without the flag).
// Each run is `shardgrad train --json` with seed 1, 2, … (--seeds N); the bench reads its epoch
// events and stops it (SIGTERM: the run ends after the step) at the first epoch whose held-out
// accuracy reaches --target, or once --seconds of its time have passed, or after --epochs epochs.
// Time is the epoch event's `elapsed` (from the run's start, its data loading and MPI launch not
// counted), bytes its `comm` (rank 0's). Rounds: one per seed, each running every link ×
// configuration in turn, so load from other processes hits them alike; the table gives medians
// and (min–max) over the seeds. With a build whose `train --help` lists hogwild, it also trains
// step and hogwild on shm for --hogwild-epochs epochs --hogwild-runs times (same seed): the
// accuracy's spread, which hogwild's races make vary.
//
// --quick: a check that the bench works, not a measurement: 784-128-10 on 2000 rows, 1 seed,
// target 0.85 within 3 epochs, hogwild 2 runs of 1 epoch (flags given override these).
//
// Needs root, iproute2 (ip, tc) and OpenMPI for the namespace links (--links shm runs without).
// Writes bench/results/local-sgd-<time>.json.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stats } from './common.mjs';
import { course, doneAfter, formatTable, parseEvents, summarize, timeToTarget } from './time-to-accuracy.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const cli = path.join(root, 'apps/cli/dist/main.js');
const netnsScript = path.join(root, 'packages/mpi/scripts/netns-hosts.sh');
const netnsAgent = path.join(root, 'packages/mpi/scripts/netns-agent.sh');
const NETNS = { prefix: 'sgl', subnet: '10.213.12' };
const netnsEnv = { ...process.env, SG_NETNS_PREFIX: NETNS.prefix, SG_NETNS_SUBNET: NETNS.subnet };
const LINKS = ['shm', '1gbit', '100mbit'];

function fail(message) {
  console.error(`local-sgd.mjs: ${message}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      links: { type: 'string' },
      seeds: { type: 'string' },
      target: { type: 'string' },
      epochs: { type: 'string' },
      seconds: { type: 'string' },
      hidden: { type: 'string' },
      batch: { type: 'string' },
      'hogwild-epochs': { type: 'string' },
      'hogwild-runs': { type: 'string' },
      quick: { type: 'boolean' },
    },
  });
} catch (e) {
  fail(e.message);
}
const f = parsed.values;
const quick = f.quick === true;
const number = (name, fallback, { integer = true, max = Infinity } = {}) => {
  const v = f[name] === undefined ? fallback : Number(f[name]);
  if (!Number.isFinite(v) || v <= 0 || v > max || (integer && !Number.isInteger(v))) fail(`--${name}: expected a positive ${integer ? 'whole ' : ''}number${max < Infinity ? ` up to ${max}` : ''}, got ${f[name]}`);
  return v;
};
const settings = {
  links: (f.links ?? LINKS.join(',')).split(','),
  seeds: number('seeds', quick ? 1 : 3),
  target: number('target', quick ? 0.85 : 0.97, { integer: false, max: 1 }),
  epochs: number('epochs', quick ? 3 : 20),
  seconds: number('seconds', quick ? 120 : 600, { integer: false }),
  hidden: f.hidden ?? (quick ? '128' : '1024,1024'),
  batch: number('batch', 64),
  limit: quick ? 2000 : undefined,
  hogwildEpochs: number('hogwild-epochs', quick ? 1 : 5),
  hogwildRuns: number('hogwild-runs', quick ? 2 : 5),
  configs: parsed.positionals.length > 0 ? parsed.positionals : ['step'],
};
for (const l of settings.links) if (!LINKS.includes(l)) fail(`--links: ${l} is not one of ${LINKS.join(', ')}`);
const needsHosts = settings.links.some((l) => l !== 'shm');
if (needsHosts) {
  if (process.getuid?.() !== 0) fail(`--links ${settings.links.join(',')}: the namespace hosts need root (--links shm runs without)`);
  for (const [cmd, argv] of [['ip', ['netns', 'list']], ['tc', ['-V']], ['mpirun', ['--version']]])
    if (spawnSync(cmd, argv, { stdio: 'ignore' }).status !== 0) fail(`--links ${settings.links.join(',')}: \`${cmd}\` does not run here (iproute2 and OpenMPI are needed; --links shm runs without)`);
}

/** A configuration's train flags: its --sync mode (none for step) and its own flags. */
function configFlags(config) {
  const [mode, ...rest] = config.split(/\s+/).filter((x) => x !== '');
  return [...(mode === 'step' ? [] : ['--sync', mode]), ...rest];
}

const help = spawnSync(process.execPath, [cli, 'train', '--help'], { encoding: 'utf8' }).stdout ?? '';
const hasHogwild = /hogwild/.test(help);
for (const config of settings.configs) {
  const mode = config.split(/\s+/)[0];
  if (mode !== 'step' && !/--sync/.test(help)) fail(`${config}: this build's shardgrad train has no --sync (only step runs)`);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shardgrad-local-sgd-'));
let hostsUp = false;
function hosts(...argv) {
  const r = spawnSync('sh', [netnsScript, ...argv], { encoding: 'utf8', env: netnsEnv });
  if (r.status !== 0) throw new Error(`netns-hosts.sh ${argv.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
}
function cleanUp() {
  if (hostsUp) spawnSync('sh', [netnsScript, 'down'], { env: netnsEnv });
  hostsUp = false;
  rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

/** The command line of one run of `shardgrad train` on a link. */
function commandFor(link, config, seed, epochs) {
  const train = [
    cli, 'train', '--data', 'mnist', '--hidden', settings.hidden, '--batch', String(settings.batch), '--epochs', String(epochs), '--seed', String(seed),
    ...(settings.limit ? ['--limit', String(settings.limit)] : []), '--json', '--out', path.join(tmp, 'model.sgm'), ...configFlags(config),
  ];
  if (link === 'shm') return [process.execPath, [...train, '--workers', '2', '--distributed', 'none']];
  const [h1, h2] = [`${NETNS.prefix}-h1`, `${NETNS.prefix}-h2`];
  const net = `${NETNS.subnet}.0/24`;
  // mpirun inside the first host; its agent starts the second host's daemon in that namespace
  return ['ip', ['netns', 'exec', h1, 'mpirun', '--allow-run-as-root', '-np', '2', '--host', `${h1},${h2}`, '--mca', 'rtc', '^hwloc', '--mca', 'plm_rsh_agent', netnsAgent,
    '--mca', 'btl', 'tcp,self', '--mca', 'btl_tcp_if_include', net, '--mca', 'oob_tcp_if_include', net, process.execPath, ...train, '--workers', '1']];
}

/**
 * Runs `shardgrad train --json` to its end, or stops it (SIGTERM; the run ends after its current
 * step) once `stopWhen(epochEvent)` says so. Resolves with its events.
 */
function trainRun([cmd, argv], stopWhen) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: tmp });
    let stdout = '';
    let stderr = '';
    let pending = '';
    let stopped = false;
    const hard = setTimeout(() => child.kill('SIGKILL'), (settings.seconds + 300) * 1000);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const e of parseEvents(lines.join('\n'))) {
        if (!stopped && e.type === 'epoch' && stopWhen(e)) {
          stopped = true;
          child.kill('SIGTERM');
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(hard);
      if (!stopped && code !== 0) reject(new Error(`${cmd} ${argv.join(' ')} failed (${code ?? signal}):\n${stderr.slice(-2000)}`));
      else resolve({ events: parseEvents(stdout), stoppedByBench: stopped });
    });
  });
}

const started = new Date();
const runs = [];
if (needsHosts) {
  hosts('up', 'none');
  hostsUp = true;
}
for (let seed = 1; seed <= settings.seeds; seed++) {
  for (const link of settings.links) {
    if (link !== 'shm') hosts('rate', link);
    for (const config of settings.configs) {
      const { events, stoppedByBench } = await trainRun(commandFor(link, config, seed, settings.epochs), (e) => doneAfter(e, settings.target, settings.seconds));
      const points = course(events);
      const result = timeToTarget(points, settings.target);
      const summary = events.find((e) => e.type === 'summary');
      runs.push({ link, config, seed, result, points, stoppedByBench, kernel: summary?.kernel ?? null, load: os.loadavg()[0] });
      const what = result.reached ? `${(100 * settings.target).toFixed(1)}% after ${result.epochs} epochs` : `not reached, best ${(100 * result.best).toFixed(2)}% in ${result.epochs} epochs`;
      console.error(`seed ${seed} ${link} ${config}: ${what}, ${(result.ms / 1000).toFixed(1)} s, ${(result.sentBytes / 1e6).toFixed(1)} MB sent | load ${os.loadavg()[0].toFixed(1)}`);
    }
  }
}

// Hogwild vs step on one machine: the accuracy after a fixed number of epochs, run after run (same seed)
let hogwild = null;
if (hasHogwild) {
  hogwild = {};
  for (let i = 0; i < settings.hogwildRuns; i++) {
    for (const config of ['step', 'hogwild']) {
      const { events } = await trainRun(commandFor('shm', config, 1, settings.hogwildEpochs), () => false);
      const last = course(events).at(-1);
      (hogwild[config] ??= []).push(last?.accuracy ?? NaN);
    }
  }
}

const rows = summarize(runs);
const lines = [
  `### Time to ${(100 * settings.target).toFixed(1)}% held-out accuracy, MNIST 784-${settings.hidden.replace(/,/g, '-')}-10, batch ${settings.batch}${settings.limit ? `, ${settings.limit} rows` : ''}${quick ? ' (--quick: a check, not a measurement)' : ''}`,
  '',
  `${settings.seeds} seed(s); budget ${settings.epochs} epochs or ${settings.seconds} s; shm = 1 process × 2 workers, the others 2 namespace hosts × 1 worker; median (min–max) over the seeds`,
  '',
  formatTable(rows, settings.target),
];
if (hogwild) {
  const cell = (xs) => {
    const s = stats(xs);
    return `${(100 * s.median).toFixed(2)}% (${(100 * s.min).toFixed(2)}–${(100 * s.max).toFixed(2)})`;
  };
  lines.push('', `Hogwild vs step, 1 process × 2 workers, accuracy after ${settings.hogwildEpochs} epochs, ${settings.hogwildRuns} runs of seed 1: step ${cell(hogwild.step)}, hogwild ${cell(hogwild.hogwild)}`);
} else lines.push('', '(Hogwild vs step: this build has no --sync hogwild)');
lines.push('', `load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(lines.join('\n'));

const report = {
  when: started.toISOString(),
  quick,
  settings,
  machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, loadAtEnd: os.loadavg() },
  rows,
  runs,
  hogwild,
};
const dir = path.join(here, 'results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `local-sgd-${started.toISOString().replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`);
writeFileSync(file + '.tmp', JSON.stringify(report, null, 2));
renameSync(file + '.tmp', file);
console.error(`wrote ${path.relative(root, file)}`);
