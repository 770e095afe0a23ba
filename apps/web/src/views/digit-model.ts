/**
 * MNIST's own preprocessing for a drawn digit: crop to the ink's bounding box, scale it (area
 * averaging, aspect kept) so its longer side is 20 pixels, and place it in a 28 × 28 image so that
 * its centre of mass sits at the image centre (index 13.5, 13.5).
 *
 * `ink`: (side, side) values in [0, 1], row-major. `out`: (28 · 28). Returns false (out all zero)
 * when nothing is drawn.
 */
export function digitToMnist(ink: Float32Array, side: number, out: Float32Array): boolean {
  out.fill(0);
  let x0 = side;
  let y0 = side;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++)
      if (ink[y * side + x] > 0) ((x0 = Math.min(x0, x)), (x1 = Math.max(x1, x)), (y0 = Math.min(y0, y)), (y1 = Math.max(y1, y)));
  if (x1 < 0) return false;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = 20 / Math.max(bw, bh);
  const w = Math.max(1, Math.round(bw * scale));
  const h = Math.max(1, Math.round(bh * scale));
  const sum = new Float32Array(w * h); // (h, w) summed ink per target pixel
  const count = new Float32Array(w * h); // (h, w) source pixels per target pixel
  for (let y = y0; y <= y1; y++) {
    const ty = Math.min(h - 1, Math.floor((y - y0) * scale));
    for (let x = x0; x <= x1; x++) {
      const tx = Math.min(w - 1, Math.floor((x - x0) * scale));
      sum[ty * w + tx] += ink[y * side + x];
      count[ty * w + tx] += 1;
    }
  }
  let mass = 0;
  let my = 0;
  let mx = 0;
  for (let i = 0; i < w * h; i++) {
    const v = count[i] ? sum[i] / count[i] : 0;
    sum[i] = v;
    mass += v;
    my += v * Math.floor(i / w);
    mx += v * (i % w);
  }
  const oy = Math.round(13.5 - my / mass);
  const ox = Math.round(13.5 - mx / mass);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const ty = y + oy;
      const tx = x + ox;
      if (ty >= 0 && ty < 28 && tx >= 0 && tx < 28) out[ty * 28 + tx] = Math.min(1, sum[y * w + x]);
    }
  return true;
}
