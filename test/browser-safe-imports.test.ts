// The coordinator's browser-safe folders (run/: the training run the web demo bundles; settings/:
// the schema the web form checks through) import nothing from Node or from the Node-side folders.
import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const src = new URL('../packages/coordinator/src/', import.meta.url);
/** Every module a file imports or re-exports (static `from '…'`). */
const importsOf = (file: URL) => [...readFileSync(file, 'utf8').matchAll(/\bfrom\s+'([^']+)'/g)].map((m) => m[1]);

it.each(['run', 'settings'])('coordinator/src/%s imports no node: module and nothing from api, train/, io/ or engine/', (folder) => {
  const files = readdirSync(new URL(`${folder}/`, src)).filter((f) => f.endsWith('.ts'));
  expect(files.length).toBeGreaterThan(0);
  for (const f of files)
    for (const m of importsOf(new URL(`${folder}/${f}`, src))) {
      expect(m, `${folder}/${f}`).not.toMatch(/^node:|^(fs|path|os|worker_threads|piscina)$/);
      expect(m, `${folder}/${f}`).not.toMatch(/^\.\.\/(api|train|io|engine|bench)(\/|\.js)/);
    }
});
