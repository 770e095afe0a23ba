// docs/cli.md's and docs/api.md's option tables against the settings schema (the coordinator's
// settings/schema.ts): every setting has its row, with its default and every choice it allows.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS, type SettingName } from '@shardgrad/coordinator';

const doc = (name: string) => readFileSync(new URL(`../docs/${name}`, import.meta.url), 'utf8');
/** The cells of the table row whose first cell starts with `key`, or undefined. */
function row(text: string, key: string): string[] | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`| \`${key}`) && /^\| `[^`]*` /.test(l) && l.split('|')[1].trim().replace(/`/g, '').split(' ')[0] === key);
  return line?.split(' | ').map((c) => c.replace(/^\| |\s*\|$/g, '').trim());
}

const names = Object.keys(SETTINGS) as SettingName[];

describe.each([
  ['docs/cli.md', doc('cli.md'), (n: SettingName) => SETTINGS[n].flag, (v: unknown) => `\`${String(v)}\``],
  ['docs/api.md', doc('api.md'), (n: SettingName) => n, (v: unknown) => (typeof v === 'string' ? `\`'${v}'\`` : `\`${String(v)}\``)],
] as const)('%s', (_file, text, key, written) => {
  it.each(names)('%s: a row, its default, every choice', (name) => {
    const s = SETTINGS[name];
    const cells = row(text, key(name));
    expect(cells, `no row for ${key(name)}`).toBeDefined();
    const [, defaultCell, what] = cells!;
    if (s.default !== undefined) expect(defaultCell).toContain(written(s.default));
    for (const choice of 'choices' in s ? s.choices : []) expect(`${defaultCell} ${what}`, `${key(name)} does not name ${choice}`).toContain(`${choice}`);
  });
});
