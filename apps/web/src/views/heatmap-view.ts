import { divergingRgb } from './color-map.js';

/**
 * Draws a rows × cols matrix (row-major) on `canvas`, one cell per entry, coloured by
 * value / scale on the diverging map; NaN cells (gaps between tiles) are white. The canvas keeps its
 * CSS size; cells are stretched.
 */
export function drawMatrix(canvas: HTMLCanvasElement, m: Float32Array, rows: number, cols: number, scale: number): void {
  if (canvas.width !== cols || canvas.height !== rows) {
    canvas.width = cols;
    canvas.height = rows;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    if (Number.isNaN(m[i])) img.data.fill(255, 4 * i, 4 * i + 3);
    else divergingRgb(m[i] / scale, img.data, 4 * i);
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
