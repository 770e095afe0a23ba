import { errors } from '@shardgrad/core';

/**
 * Refuses a header row that names two columns alike: a model keeps its input columns by name and
 * predict picks them by name, so a repeated name would feed one column twice. One line naming the
 * file, the name and both columns (1-based, as a spreadsheet counts).
 */
export function checkColumnNames(file: string, names: readonly string[]): void {
  const first = new Map<string, number>();
  names.forEach((name, c) => {
    const earlier = first.get(name);
    if (earlier !== undefined)
      throw errors.badInput(file, `the header names two columns ${JSON.stringify(name)} (columns ${earlier + 1} and ${c + 1}); give every column its own name`);
    first.set(name, c);
  });
}
