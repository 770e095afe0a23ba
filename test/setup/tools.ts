// The programs some tests drive besides Node, where each is looked for, and how to install it. A
// machine with only Node runs every other test; these are skipped with one line each (printed by
// ./global-setup.ts). In CI (CI=true; .ci/run installs them) a missing one is a failure instead.
import { accessSync, constants } from 'node:fs';
import { spawnSync } from 'node:child_process';

export interface Tool {
  readonly name: string;
  /** which tests need it */
  readonly tests: string;
  readonly available: boolean;
  /** what is missing, in words */
  readonly missing: string;
  readonly install: string;
}

/** Debian's chromium package (a browser is never downloaded); SHARDGRAD_CHROMIUM points elsewhere. */
export const CHROMIUM = process.env.SHARDGRAD_CHROMIUM || '/usr/bin/chromium';

const runs = (command: string, args: string[]) => spawnSync(command, args, { encoding: 'utf8', stdio: 'pipe' }).status === 0;

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export const inCi = Boolean(process.env.CI);

export const chromium: Tool = {
  name: 'Chromium',
  tests: 'the browser tests (apps/web/test/browser-*.test.ts)',
  available: executable(CHROMIUM),
  missing: `no Chromium at ${CHROMIUM}`,
  install: 'apt-get install chromium (or SHARDGRAD_CHROMIUM=/path/to/chromium)',
};

export const openMpi: Tool = {
  name: 'OpenMPI',
  tests: 'the MPI tests (packages/mpi/test, test/distributed.test.ts)',
  available: runs('mpirun', ['--version']),
  missing: 'no mpirun on the PATH',
  install: 'apt-get install openmpi-bin libopenmpi-dev, then pnpm install (which builds the MPI addon)',
};

export const netns: Tool = {
  name: 'network namespaces',
  tests: 'the two-host MPI tests (network namespaces, the rate-limited link)',
  available: process.getuid?.() === 0 && runs('ip', ['netns', 'list']) && runs('tc', ['-V']),
  missing: process.getuid?.() === 0 ? 'no `ip` or `tc` command' : 'not running as root',
  install: 'run as root with iproute2 (apt-get install iproute2)',
};

export const cCompiler: Tool = {
  name: 'a C compiler',
  tests: 'the native kernels of the installed tarball (test/packages-install.test.ts)',
  available: runs(process.env.CC || 'cc', ['--version']),
  missing: `no C compiler (${process.env.CC || 'cc'})`,
  install: 'apt-get install gcc',
};

export const TOOLS: readonly Tool[] = [chromium, openMpi, netns, cCompiler];

/** Run the tests that need `tool`: where it is there, and always in CI (where a missing one fails them). */
export const runWith = (...tools: Tool[]): boolean => inCi || tools.every((t) => t.available);

/** The one line for a tool that is missing. */
export const skipLine = (t: Tool): string => `skipped: ${t.tests}: ${t.missing}; to run them: ${t.install}`;
