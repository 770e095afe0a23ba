/**
 * The weights into hidden units from an image input, drawn as images: W (nIn × nOut, row-major)
 * with nIn = side², unit j's column W[·][j] laid out as a side × side picture (its receptive
 * field), the chosen units tiled `across` to a row with one blank (NaN) line between tiles.
 */
export interface Mosaic {
  readonly rows: number;
  readonly cols: number;
  /** (rows, cols), NaN between the tiles */
  readonly values: Float32Array;
  readonly units: readonly number[];
}

/** The image side of an input of `nIn` values if it is a square picture of at least 8 × 8 (MNIST: 28), else 0. */
export function imageSide(nIn: number): number {
  const side = Math.round(Math.sqrt(nIn));
  return side >= 8 && side * side === nIn ? side : 0;
}

export function receptiveFields(W: ArrayLike<number>, nIn: number, nOut: number, units: readonly number[], across: number): Mosaic {
  const side = imageSide(nIn);
  if (!side) throw new Error(`receptiveFields: ${nIn} inputs are not a square image`);
  const shown = units.filter((j) => j >= 0 && j < nOut);
  const tilesDown = Math.max(1, Math.ceil(shown.length / across));
  const tilesAcross = Math.max(1, Math.min(across, shown.length));
  const rows = tilesDown * (side + 1) - 1;
  const cols = tilesAcross * (side + 1) - 1;
  const values = new Float32Array(rows * cols).fill(NaN);
  shown.forEach((j, k) => {
    const r0 = Math.floor(k / across) * (side + 1);
    const c0 = (k % across) * (side + 1);
    for (let p = 0; p < nIn; p++) values[(r0 + Math.floor(p / side)) * cols + c0 + (p % side)] = W[p * nOut + j];
  });
  return { rows, cols, values, units: shown };
}
