import { inCi, skipLine, TOOLS } from './tools.js';

/**
 * Before any test file: one line for each program that is missing, naming the tests it skips and
 * what to install. In CI (CI=true) nothing may be skipped: a missing program fails the run here.
 */
export default function setup(): void {
  const missing = TOOLS.filter((t) => !t.available);
  if (missing.length === 0) return;
  if (inCi) throw new Error(`CI=true, but ${missing.map((t) => `${t.name} is missing (${t.missing}; .ci/run installs it: ${t.install})`).join('; ')}`);
  for (const t of missing) console.log(skipLine(t));
}
