// The live gradient-noise estimate's partials (src/noise/noise-scale.ts noiseHalvesPartials, whose
// order defines the bits): inside a block of NOISE_BLOCK parameters, parameter lo + j in lane
// j mod 8, two float64 sums per lane — of u² (u = a + b) and of v² (v = a/rowsA − b/rowsB), every
// multiply and add a separate IEEE operation — the lanes added ((0+1)+(2+3))+((4+5)+(6+7)). Here
// the 8 lanes are four f64x2 vectors per sum; the tail of a block goes through the same lanes one
// by one. The same bits as the JavaScript loop and the native kernels.

const NOISE_BLOCK: i32 = 1024;

/** Lane l (0–7) of four f64x2 vectors. */
@inline
function lane(v0: v128, v1: v128, v2: v128, v3: v128, l: i32): f64 {
  if (l == 0) return f64x2.extract_lane(v0, 0);
  if (l == 1) return f64x2.extract_lane(v0, 1);
  if (l == 2) return f64x2.extract_lane(v1, 0);
  if (l == 3) return f64x2.extract_lane(v1, 1);
  if (l == 4) return f64x2.extract_lane(v2, 0);
  if (l == 5) return f64x2.extract_lane(v2, 1);
  if (l == 6) return f64x2.extract_lane(v3, 0);
  return f64x2.extract_lane(v3, 1);
}

/**
 * The partials of blocks [b0, b1): partials (2 f64s a block, byte pointer) from a and b (P floats
 * each, byte pointers into the run's memory) over rowsA and rowsB rows.
 */
export function noiseHalves(a: usize, b: usize, rowsA: i32, rowsB: i32, P: i32, b0: i32, b1: i32, partials: usize): void {
  const invA: f64 = rowsA > 0 ? 1.0 / <f64>rowsA : 0.0;
  const invB: f64 = rowsB > 0 ? 1.0 / <f64>rowsB : 0.0;
  const invT: f64 = 1.0 / <f64>(rowsA + rowsB);
  const weight: f64 = <f64>rowsA * <f64>rowsB * invT;
  const vA = f64x2.splat(invA);
  const vB = f64x2.splat(invB);
  for (let blk = b0; blk < b1; blk++) {
    const lo = blk * NOISE_BLOCK;
    const hi = min(lo + NOISE_BLOCK, P);
    let u0 = f64x2.splat(0), u1 = u0, u2 = u0, u3 = u0; // prettier-ignore
    let w0 = u0, w1 = u0, w2 = u0, w3 = u0; // prettier-ignore
    let i = lo;
    for (; i + 8 <= hi; i += 8) {
      const pa = a + (<usize>i << 2);
      const pb = b + (<usize>i << 2);
      const xa = v128.load(pa);
      const xb = v128.load(pa, 16);
      const ya = v128.load(pb);
      const yb = v128.load(pb, 16);
      // lanes 0–1, 2–3 of the first four floats, 4–5, 6–7 of the next four
      const x0 = f64x2.promote_low_f32x4(xa);
      const x1 = f64x2.promote_low_f32x4(i32x4.shuffle(xa, xa, 2, 3, 0, 1));
      const x2 = f64x2.promote_low_f32x4(xb);
      const x3 = f64x2.promote_low_f32x4(i32x4.shuffle(xb, xb, 2, 3, 0, 1));
      const y0 = f64x2.promote_low_f32x4(ya);
      const y1 = f64x2.promote_low_f32x4(i32x4.shuffle(ya, ya, 2, 3, 0, 1));
      const y2 = f64x2.promote_low_f32x4(yb);
      const y3 = f64x2.promote_low_f32x4(i32x4.shuffle(yb, yb, 2, 3, 0, 1));
      let u = f64x2.add(x0, y0);
      u0 = f64x2.add(u0, f64x2.mul(u, u));
      u = f64x2.add(x1, y1);
      u1 = f64x2.add(u1, f64x2.mul(u, u));
      u = f64x2.add(x2, y2);
      u2 = f64x2.add(u2, f64x2.mul(u, u));
      u = f64x2.add(x3, y3);
      u3 = f64x2.add(u3, f64x2.mul(u, u));
      let v = f64x2.sub(f64x2.mul(x0, vA), f64x2.mul(y0, vB));
      w0 = f64x2.add(w0, f64x2.mul(v, v));
      v = f64x2.sub(f64x2.mul(x1, vA), f64x2.mul(y1, vB));
      w1 = f64x2.add(w1, f64x2.mul(v, v));
      v = f64x2.sub(f64x2.mul(x2, vA), f64x2.mul(y2, vB));
      w2 = f64x2.add(w2, f64x2.mul(v, v));
      v = f64x2.sub(f64x2.mul(x3, vA), f64x2.mul(y3, vB));
      w3 = f64x2.add(w3, f64x2.mul(v, v));
    }
    // the block's tail (fewer than 8) through the same lanes; locals only: the module must not
    // own memory of its own (it runs over the run's memory, where its heap would be θ)
    let s0 = lane(u0, u1, u2, u3, 0), s1 = lane(u0, u1, u2, u3, 1), s2 = lane(u0, u1, u2, u3, 2), s3 = lane(u0, u1, u2, u3, 3); // prettier-ignore
    let s4 = lane(u0, u1, u2, u3, 4), s5 = lane(u0, u1, u2, u3, 5), s6 = lane(u0, u1, u2, u3, 6), s7 = lane(u0, u1, u2, u3, 7); // prettier-ignore
    let t0 = lane(w0, w1, w2, w3, 0), t1 = lane(w0, w1, w2, w3, 1), t2 = lane(w0, w1, w2, w3, 2), t3 = lane(w0, w1, w2, w3, 3); // prettier-ignore
    let t4 = lane(w0, w1, w2, w3, 4), t5 = lane(w0, w1, w2, w3, 5), t6 = lane(w0, w1, w2, w3, 6), t7 = lane(w0, w1, w2, w3, 7); // prettier-ignore
    for (let l = 0; i + l < hi; l++) {
      const x = <f64>load<f32>(a + (<usize>(i + l) << 2));
      const y = <f64>load<f32>(b + (<usize>(i + l) << 2));
      const u = x + y;
      const v = x * invA - y * invB;
      const uu = u * u;
      const vv = v * v;
      if (l == 0) (s0 += uu), (t0 += vv);
      else if (l == 1) (s1 += uu), (t1 += vv);
      else if (l == 2) (s2 += uu), (t2 += vv);
      else if (l == 3) (s3 += uu), (t3 += vv);
      else if (l == 4) (s4 += uu), (t4 += vv);
      else if (l == 5) (s5 += uu), (t5 += vv);
      else (s6 += uu), (t6 += vv); // (a tail has at most 7)
    }
    const su = s0 + s1 + (s2 + s3) + (s4 + s5 + (s6 + s7));
    const sv = t0 + t1 + (t2 + t3) + (t4 + t5 + (t6 + t7));
    store<f64>(partials + (<usize>blk << 4), su * invT * invT);
    store<f64>(partials + (<usize>blk << 4), weight * sv, 8);
  }
}
