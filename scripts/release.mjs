#!/usr/bin/env node
// `pnpm release [--out DIR]`: writes shardgrad-<version>.tgz, one tarball that installs alone with
// `npm install ./shardgrad-<version>.tgz` (into a project, or with -g), library and CLI, with no
// registry: every dependency travels inside it (bundleDependencies), the @shardgrad/* packages
// each as `pnpm pack` makes it (built dist, sources, workspace: ranges made real), the third-party
// ones as npm installs them (install scripts off). Bundling only the @shardgrad/* packages does
// not work: npm then takes their dependencies for part of the bundle and, in a global install,
// never fetches them. The native and MPI addons build at install, where a C compiler (mpicc)
// exists, as with the separate packages.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The workspace packages bundled inside, by folder. */
const BUNDLED = ['packages/core', 'packages/worker', 'packages/native', 'packages/mpi', 'packages/coordinator', 'packages/export', 'apps/cli'];
const LIBRARY = 'packages/shardgrad';

const argv = process.argv.slice(2);
const outIndex = argv.indexOf('--out');
const outDir = path.resolve(outIndex >= 0 ? argv[outIndex + 1] : root);

function run(command, args, cwd) {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) {
    console.error(`release: ${command} ${args.join(' ')} failed in ${path.relative(root, cwd) || '.'}`);
    process.exit(1);
  }
  return r.stdout;
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** `pnpm pack` of one workspace package, unpacked into `dest`; returns its manifest as packed. */
function packInto(folder, dest, scratch) {
  const out = run('pnpm', ['pack', '--pack-destination', scratch], path.join(root, folder));
  const tgz = path.resolve(scratch, path.basename(out.trim().split('\n').pop().trim()));
  mkdirSync(dest, { recursive: true });
  run('tar', ['xzf', tgz, '-C', dest, '--strip-components=1'], root);
  rmSync(tgz);
  pruneOrphans(dest);
  return readJson(path.join(dest, 'package.json'));
}

/**
 * Removes from a packed package's dist/ what no source makes any more (a source deleted since the
 * last build leaves its outputs behind: tsc -b never removes them): every output whose map points
 * to a source that is not there, with the map.
 */
function pruneOrphans(dir) {
  const walk = (d) => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  const dist = path.join(dir, 'dist');
  if (!existsSync(dist)) return;
  for (const map of walk(dist).filter((f) => f.endsWith('.map'))) {
    const { sources = [] } = JSON.parse(readFileSync(map, 'utf8'));
    if (sources.length === 0 || sources.some((s) => existsSync(path.resolve(path.dirname(map), s)))) continue;
    rmSync(map);
    rmSync(map.slice(0, -'.map'.length), { force: true });
  }
}

/** Adds `deps` to `into`, refusing two different ranges of one package (the tarball can hold only one). */
function mergeDeps(into, deps, from) {
  for (const [name, range] of Object.entries(deps ?? {})) {
    if (name.startsWith('@shardgrad/')) continue;
    if (into[name] !== undefined && into[name] !== range) {
      console.error(`release: ${from} wants ${name}@${range}, another package ${name}@${into[name]}: make the ranges equal`);
      process.exit(1);
    }
    into[name] = range;
  }
}

run('pnpm', ['run', 'build'], root);
const scratch = mkdtempSync(path.join(tmpdir(), 'shardgrad-release-'));
try {
  const stage = path.join(scratch, 'shardgrad');
  const pkg = packInto(LIBRARY, stage, scratch);
  const dependencies = {};
  const optionalDependencies = {};
  mergeDeps(dependencies, pkg.dependencies, pkg.name);
  const bundled = [];
  for (const folder of BUNDLED) {
    const name = readJson(path.join(root, folder, 'package.json')).name;
    const m = packInto(folder, path.join(stage, 'node_modules', name), scratch);
    if (m.version !== pkg.version) {
      console.error(`release: ${name} is ${m.version}, shardgrad ${pkg.version}: one version for all`);
      process.exit(1);
    }
    bundled.push(name);
    mergeDeps(dependencies, m.dependencies, name);
    mergeDeps(optionalDependencies, m.optionalDependencies, name);
  }
  for (const name of Object.keys(optionalDependencies)) if (dependencies[name]) delete optionalDependencies[name];
  // the CLI's bin, from the bundled CLI
  mkdirSync(path.join(stage, 'bin'), { recursive: true });
  const bin = path.join(stage, 'bin', 'shardgrad.js');
  writeFileSync(bin, "#!/usr/bin/env node\n// the CLI bundled in this package (@shardgrad/cli)\nimport '@shardgrad/cli/bin/shardgrad.js';\n");
  chmodSync(bin, 0o755);
  const release = {
    ...pkg,
    description: `${pkg.description}; with the shardgrad command line`,
    bin: { shardgrad: 'bin/shardgrad.js' },
    files: [...new Set([...(pkg.files ?? []), 'bin'])],
    dependencies: Object.fromEntries([...bundled.map((n) => [n, pkg.version]), ...Object.entries(dependencies)].sort(([a], [b]) => a.localeCompare(b))),
    ...(Object.keys(optionalDependencies).length ? { optionalDependencies } : {}),
    bundleDependencies: true,
  };
  delete release.scripts; // the packed dist is final: nothing to build at pack or install time here
  delete release.devDependencies;
  writeFileSync(path.join(stage, 'package.json'), JSON.stringify(release, null, 2) + '\n');
  // the third-party dependencies as npm lays them out (flat; no scripts: nothing is built here; no
  // optional ones, which are platform binaries such as piscina's @napi-rs/nice-<os>-<cpu>), in
  // a project of their own (npm would look for the @shardgrad/* packages on the registry), then
  // moved next to the bundled packages
  const thirdParty = path.join(scratch, 'third-party');
  mkdirSync(thirdParty);
  const optional = release.optionalDependencies ?? {};
  const external = (deps) => Object.fromEntries(Object.entries(deps).filter(([n]) => !n.startsWith('@shardgrad/')));
  writeFileSync(path.join(thirdParty, 'package.json'), JSON.stringify({ name: 'third-party', private: true, dependencies: external(dependencies), optionalDependencies: external(optional) }));
  run('npm', ['install', '--omit=dev', '--omit=optional', '--ignore-scripts', '--no-package-lock', '--install-strategy=hoisted', '--no-audit', '--no-fund', '--loglevel', 'error'], thirdParty);
  for (const entry of readdirSync(path.join(thirdParty, 'node_modules'))) {
    if (entry.startsWith('.')) continue; // npm's own bookkeeping
    if (entry.startsWith('@')) {
      for (const scoped of readdirSync(path.join(thirdParty, 'node_modules', entry))) {
        mkdirSync(path.join(stage, 'node_modules', entry), { recursive: true });
        renameSync(path.join(thirdParty, 'node_modules', entry, scoped), path.join(stage, 'node_modules', entry, scoped));
      }
    } else renameSync(path.join(thirdParty, 'node_modules', entry), path.join(stage, 'node_modules', entry));
  }
  mkdirSync(outDir, { recursive: true });
  const out = run('npm', ['pack', '--pack-destination', outDir, '--loglevel', 'error'], stage).trim().split('\n').pop();
  const tgz = path.join(outDir, out);
  console.log(`release: ${path.relative(process.cwd(), tgz) || tgz} (shardgrad ${pkg.version}, the ${bundled.length} @shardgrad packages and every dependency inside)`);
  console.log(`install: npm install ${path.relative(process.cwd(), tgz).startsWith('..') ? tgz : `./${path.relative(process.cwd(), tgz)}`}   (add -g for the shardgrad command)`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
