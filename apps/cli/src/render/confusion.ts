import type { ConfusionMatrix } from '@shardgrad/core';

/** The confusion matrix as a table: one row per true class, one column per predicted class. */
export function formatConfusion(cm: ConfusionMatrix): string {
  const rows = cm.toRows();
  const width = Math.max(4, ...rows.flat().map((c) => String(c).length)) + 1;
  const cell = (s: string | number) => String(s).padStart(width);
  const lines = [`true\\pred${rows.map((_, k) => cell(k)).join('')}`];
  rows.forEach((row, k) => lines.push(`${String(k).padStart(9)}${row.map(cell).join('')}`));
  return lines.join('\n');
}
