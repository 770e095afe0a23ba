/** Control characters (C0, DEL, C1) and U+FFFD, which stands where the bytes were not valid UTF-8. */
const ODD = /[\u0000-\u001f\u007f-\u009f\ufffd]/u;

/**
 * Warning lines for class names read from a label column that hold control characters (a NUL, a
 * stray carriage return) or bytes that are not UTF-8: each such name is a class of its own, which is
 * rarely what the file meant. At most three names are shown, written as JSON strings so the odd
 * characters are visible.
 */
export function oddClassNameWarnings(source: string, classes: readonly string[] | undefined): string[] {
  if (!classes) return [];
  const odd = classes.map((name, k) => [name, k] as const).filter(([name]) => ODD.test(name));
  if (odd.length === 0) return [];
  const shown = odd.slice(0, 3).map(([name, k]) => `${JSON.stringify(name).replace(/\ufffd/g, '\\ufffd')} (class ${k})`);
  const more = odd.length > 3 ? ` and ${odd.length - 3} more` : '';
  return [
    `warning: ${source}: ${odd.length} class name${odd.length === 1 ? '' : 's'} in the label column hold${odd.length === 1 ? 's' : ''} control characters or bytes that are not UTF-8 (\\ufffd): ${shown.join(', ')}${more}; each is a class of its own`,
  ];
}
