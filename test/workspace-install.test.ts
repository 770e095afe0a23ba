import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './fixtures/examples.js';

/**
 * `pnpm install` in this checkout decided every dependency's install script explicitly
 * (pnpm-workspace.yaml's allowBuilds): no "Ignored build scripts" banner greets a newcomer. pnpm
 * records the scripts it ignored, and would print them, in node_modules/.modules.yaml.
 */
describe('pnpm install', () => {
  it('ignored no build script it was not told about', () => {
    const modules = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/.modules.yaml'), 'utf8')) as { ignoredBuilds?: string[]; pendingBuilds?: string[] };
    expect(modules.ignoredBuilds ?? []).toEqual([]);
    expect(modules.pendingBuilds ?? []).toEqual([]);
  });
});
