import type { ConfusionMatrix } from '@shardgrad/core';

/**
 * The confusion matrix as a table: one row per true class, one column per predicted class, headed
 * by the class names when the model has them (else the class indices).
 */
export function formatConfusion(cm: ConfusionMatrix, names?: readonly string[]): string {
  const rows = cm.toRows();
  const label = (k: number) => names?.[k] ?? String(k);
  const width = Math.max(4, ...rows.flat().map((c) => String(c).length), ...rows.map((_, k) => label(k).length)) + 1;
  const cell = (s: string | number) => String(s).padStart(width);
  const first = Math.max(9, ...rows.map((_, k) => label(k).length));
  const lines = [`${'true\\pred'.padStart(first)}${rows.map((_, k) => cell(label(k))).join('')}`];
  rows.forEach((row, k) => lines.push(`${label(k).padStart(first)}${row.map(cell).join('')}`));
  return lines.join('\n');
}
