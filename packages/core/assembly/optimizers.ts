// The slice pass of a step, one per optimizer: it finishes the tree, scales by 1/B, applies the
// optimizer and checks finiteness. The JavaScript oracle is finishSlice in src/kernels/tree-ops.ts
// with the plain rules of src/optim/optimizers.ts. Each registered optimizer that has a pass is
// exported as finish_<name>: the JavaScript side finds it by that name and declines (the plain
// form runs) for a registered optimizer without one. The numbers below only select a branch of
// the one loop inside this file, folded away when finishPass is inlined with a constant.
const SGD: i32 = 0;
const MOMENTUM: i32 = 1;
const NESTEROV: i32 = 2;
const ADAM: i32 = 3;
const ADAMW: i32 = 4;

export function finish_sgd(root: usize, other: usize, avg: usize, theta: usize, state: usize, thetaOut: usize, stateOut: usize, stride: usize, len: i32, inv: f64, lr: f64, wd: f64, mu: f64, b1: f64, b2: f64, eps: f64, c1: f64, c2: f64): i32 {
  return finishPass(SGD, root, other, avg, theta, state, thetaOut, stateOut, stride, len, inv, lr, wd, mu, b1, b2, eps, c1, c2);
}
export function finish_momentum(root: usize, other: usize, avg: usize, theta: usize, state: usize, thetaOut: usize, stateOut: usize, stride: usize, len: i32, inv: f64, lr: f64, wd: f64, mu: f64, b1: f64, b2: f64, eps: f64, c1: f64, c2: f64): i32 {
  return finishPass(MOMENTUM, root, other, avg, theta, state, thetaOut, stateOut, stride, len, inv, lr, wd, mu, b1, b2, eps, c1, c2);
}
export function finish_nesterov(root: usize, other: usize, avg: usize, theta: usize, state: usize, thetaOut: usize, stateOut: usize, stride: usize, len: i32, inv: f64, lr: f64, wd: f64, mu: f64, b1: f64, b2: f64, eps: f64, c1: f64, c2: f64): i32 {
  return finishPass(NESTEROV, root, other, avg, theta, state, thetaOut, stateOut, stride, len, inv, lr, wd, mu, b1, b2, eps, c1, c2);
}
export function finish_adam(root: usize, other: usize, avg: usize, theta: usize, state: usize, thetaOut: usize, stateOut: usize, stride: usize, len: i32, inv: f64, lr: f64, wd: f64, mu: f64, b1: f64, b2: f64, eps: f64, c1: f64, c2: f64): i32 {
  return finishPass(ADAM, root, other, avg, theta, state, thetaOut, stateOut, stride, len, inv, lr, wd, mu, b1, b2, eps, c1, c2);
}
export function finish_adamw(root: usize, other: usize, avg: usize, theta: usize, state: usize, thetaOut: usize, stateOut: usize, stride: usize, len: i32, inv: f64, lr: f64, wd: f64, mu: f64, b1: f64, b2: f64, eps: f64, c1: f64, c2: f64): i32 {
  return finishPass(ADAMW, root, other, avg, theta, state, thetaOut, stateOut, stride, len, inv, lr, wd, mu, b1, b2, eps, c1, c2);
}

/** The high two float32 lanes of v, promoted: lanes 2 and 3 as an f64x2. */
// @ts-ignore: decorator
@inline
function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
}

/** Two f64x2 halves rounded to float32 and joined into one f32x4. */
// @ts-ignore: decorator
@inline
function demote2(lo: v128, hi: v128): v128 {
  return i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/**
 * The slice pass, over `len` parameters: r = root (+ other, the tree's last add, when other ≠ 0);
 * ḡ = f32(r·inv); then the optimizer exactly as its plain rule in optimizers.ts computes it (float64
 * arithmetic, float32 stores at the same points), so the bits equal the JavaScript update. θ and
 * the state are read from theta / state and written to thetaOut / stateOut (equal for an update in
 * place; each parameter's reads come before its writes). The state has up to two rows, `stride`
 * bytes apart. Returns 1 when ḡ and the new θ are all finite, else 0.
 */
// @ts-ignore: decorator
@inline
function finishPass(
  kind: i32,
  root: usize,
  other: usize,
  avg: usize,
  theta: usize,
  state: usize,
  thetaOut: usize,
  stateOut: usize,
  stride: usize,
  len: i32,
  inv: f64,
  lr: f64,
  wd: f64,
  mu: f64,
  b1: f64,
  b2: f64,
  eps: f64,
  c1: f64,
  c2: f64,
): i32 {
  // four parameters at a time: float32 lanes, the arithmetic in two f64x2 halves (IEEE per lane,
  // so the same bits as the scalar float64 code of optimizers.ts); then the last len mod 4 one by one
  let bad = f32x4.splat(0);
  const keep: f64 = 1 - lr * wd; // AdamW's decay factor, as optimizers.ts computes it
  const vinv = f64x2.splat(inv);
  const vlr = f64x2.splat(lr);
  const vwd = f64x2.splat(wd);
  const vkeep = f64x2.splat(keep);
  const vmu = f64x2.splat(mu);
  const vb1 = f64x2.splat(b1);
  const vb2 = f64x2.splat(b2);
  const v1b1 = f64x2.splat(1 - b1);
  const v1b2 = f64x2.splat(1 - b2);
  const veps = f64x2.splat(eps);
  const vc1 = f64x2.splat(c1);
  const vc2 = f64x2.splat(c2);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const p = <usize>i << 2;
    let r = v128.load(root + p);
    if (other != 0) r = f32x4.add(r, v128.load(other + p));
    const g32 = demote2(f64x2.mul(f64x2.promote_low_f32x4(r), vinv), f64x2.mul(promoteHigh(r), vinv));
    v128.store(avg + p, g32);
    const t32 = v128.load(theta + p);
    const g0 = f64x2.promote_low_f32x4(g32);
    const g1 = promoteHigh(g32);
    const th0 = f64x2.promote_low_f32x4(t32);
    const th1 = promoteHigh(t32);
    let n0: v128, n1: v128;
    if (kind == SGD) {
      n0 = f64x2.sub(th0, f64x2.mul(vlr, f64x2.add(g0, f64x2.mul(vwd, th0))));
      n1 = f64x2.sub(th1, f64x2.mul(vlr, f64x2.add(g1, f64x2.mul(vwd, th1))));
    } else if (kind == MOMENTUM) {
      const s32 = v128.load(state + p);
      const u0 = f64x2.add(f64x2.add(f64x2.mul(vmu, f64x2.promote_low_f32x4(s32)), g0), f64x2.mul(vwd, th0));
      const u1 = f64x2.add(f64x2.add(f64x2.mul(vmu, promoteHigh(s32)), g1), f64x2.mul(vwd, th1));
      v128.store(stateOut + p, demote2(u0, u1));
      n0 = f64x2.sub(th0, f64x2.mul(vlr, u0));
      n1 = f64x2.sub(th1, f64x2.mul(vlr, u1));
    } else if (kind == NESTEROV) {
      const s32 = v128.load(state + p);
      const gi0 = f64x2.add(g0, f64x2.mul(vwd, th0));
      const gi1 = f64x2.add(g1, f64x2.mul(vwd, th1));
      const u0 = f64x2.add(f64x2.mul(vmu, f64x2.promote_low_f32x4(s32)), gi0);
      const u1 = f64x2.add(f64x2.mul(vmu, promoteHigh(s32)), gi1);
      v128.store(stateOut + p, demote2(u0, u1));
      n0 = f64x2.sub(th0, f64x2.mul(vlr, f64x2.add(gi0, f64x2.mul(vmu, u0))));
      n1 = f64x2.sub(th1, f64x2.mul(vlr, f64x2.add(gi1, f64x2.mul(vmu, u1))));
    } else {
      // ADAM (L2: g̃ = g + λθ) or ADAMW (decoupled: g̃ = g, θ·(1 − ηλ))
      const m32 = v128.load(state + p);
      const s32 = v128.load(state + stride + p);
      const gi0 = kind == ADAM ? f64x2.add(g0, f64x2.mul(vwd, th0)) : g0;
      const gi1 = kind == ADAM ? f64x2.add(g1, f64x2.mul(vwd, th1)) : g1;
      const m0 = f64x2.add(f64x2.mul(vb1, f64x2.promote_low_f32x4(m32)), f64x2.mul(v1b1, gi0));
      const m1 = f64x2.add(f64x2.mul(vb1, promoteHigh(m32)), f64x2.mul(v1b1, gi1));
      const q0 = f64x2.add(f64x2.mul(vb2, f64x2.promote_low_f32x4(s32)), f64x2.mul(f64x2.mul(v1b2, gi0), gi0));
      const q1 = f64x2.add(f64x2.mul(vb2, promoteHigh(s32)), f64x2.mul(f64x2.mul(v1b2, gi1), gi1));
      v128.store(stateOut + p, demote2(m0, m1));
      v128.store(stateOut + stride + p, demote2(q0, q1));
      const d0 = f64x2.div(f64x2.mul(vlr, f64x2.mul(m0, vc1)), f64x2.add(f64x2.sqrt(f64x2.mul(q0, vc2)), veps));
      const d1 = f64x2.div(f64x2.mul(vlr, f64x2.mul(m1, vc1)), f64x2.add(f64x2.sqrt(f64x2.mul(q1, vc2)), veps));
      n0 = f64x2.sub(kind == ADAM ? th0 : f64x2.mul(th0, vkeep), d0);
      n1 = f64x2.sub(kind == ADAM ? th1 : f64x2.mul(th1, vkeep), d1);
    }
    const n32 = demote2(n0, n1);
    v128.store(thetaOut + p, n32);
    // NaN and ±Inf survive x − x; finite values give 0
    bad = f32x4.add(bad, f32x4.add(f32x4.sub(g32, g32), f32x4.sub(n32, n32)));
  }
  let acc: f64 = <f64>f32x4.extract_lane(bad, 0) + <f64>f32x4.extract_lane(bad, 1) + <f64>f32x4.extract_lane(bad, 2) + <f64>f32x4.extract_lane(bad, 3);
  for (; i < len; i++) {
    const p = <usize>i << 2;
    let r = load<f32>(root + p);
    if (other != 0) r = r + load<f32>(other + p);
    const g32 = <f32>(<f64>r * inv);
    store<f32>(avg + p, g32);
    const g = <f64>g32;
    const th = <f64>load<f32>(theta + p);
    let next: f64;
    if (kind == SGD) {
      next = th - lr * (g + wd * th);
    } else if (kind == MOMENTUM) {
      const u = mu * <f64>load<f32>(state + p) + g + wd * th;
      store<f32>(stateOut + p, <f32>u);
      next = th - lr * u;
    } else if (kind == NESTEROV) {
      const gi = g + wd * th;
      const u = mu * <f64>load<f32>(state + p) + gi;
      store<f32>(stateOut + p, <f32>u);
      next = th - lr * (gi + mu * u);
    } else {
      const gi = kind == ADAM ? g + wd * th : g;
      const m = b1 * <f64>load<f32>(state + p) + (1 - b1) * gi;
      const s = b2 * <f64>load<f32>(state + stride + p) + (1 - b2) * gi * gi;
      store<f32>(stateOut + p, <f32>m);
      store<f32>(stateOut + stride + p, <f32>s);
      next = (kind == ADAM ? th : th * keep) - (lr * (m * c1)) / (Math.sqrt(s * c2) + eps);
    }
    const n32 = <f32>next;
    store<f32>(thetaOut + p, n32);
    acc += <f64>g32 - <f64>g32 + (<f64>n32 - <f64>n32);
  }
  return acc == 0 ? 1 : 0;
}
