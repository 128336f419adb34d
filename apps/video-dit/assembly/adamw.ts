import { loadTail, storeTail } from './lanes';

// The AdamW update of src/kernels/adamw.ts for the wasm backend, f32x4 over a weight's elements,
// on tensors in tfjs's heap. Every operation is a float32 one in the JS loop's order, so the
// results are the same to the bit.

let scale: v128;
let b1: v128;
let c1: v128;
let b2: v128;
let c2: v128;
let k1: v128;
let k2: v128;
let eps: v128;
let lambda: v128;
let rate: v128;
let d: v128;
let oneMinusD: v128;
let decays = false;

/** The new p, m, v and ema of four elements, to the four addresses. */
function update(weight: v128, g: v128, m: v128, v: v128, e: v128, pOut: usize, mOut: usize, vOut: usize, eOut: usize): void {
  const grad = f32x4.mul(g, scale);
  const m1 = f32x4.add(f32x4.mul(m, b1), f32x4.mul(grad, c1));
  const v1 = f32x4.add(f32x4.mul(v, b2), f32x4.mul(f32x4.mul(grad, grad), c2));
  let step = f32x4.div(f32x4.div(m1, k1), f32x4.add(f32x4.sqrt(f32x4.div(v1, k2)), eps));
  if (decays) step = f32x4.add(step, f32x4.mul(weight, lambda));
  const p1 = f32x4.sub(weight, f32x4.mul(step, rate));
  v128.store(pOut, p1);
  v128.store(mOut, m1);
  v128.store(vOut, v1);
  v128.store(eOut, f32x4.add(f32x4.mul(e, d), f32x4.mul(p1, oneMinusD)));
}

/**
 * One update of the n floats of a weight (its numbers as the JS loop of src/kernels/adamw.ts
 * names them): p, g, m, v and e in, the new p, m, v and e out; `scratch` is 64 bytes.
 */
export function adamwUpdate(
  p: usize,
  g: usize,
  m: usize,
  v: usize,
  e: usize,
  pOut: usize,
  mOut: usize,
  vOut: usize,
  eOut: usize,
  scratch: usize,
  n: i32,
  gradScale: f32,
  beta1: f32,
  oneMinusBeta1: f32,
  beta2: f32,
  oneMinusBeta2: f32,
  correction1: f32,
  correction2: f32,
  epsilon: f32,
  weightDecay: f32,
  learningRate: f32,
  decay: f32,
  oneMinusDecay: f32,
): void {
  scale = f32x4.splat(gradScale);
  b1 = f32x4.splat(beta1);
  c1 = f32x4.splat(oneMinusBeta1);
  b2 = f32x4.splat(beta2);
  c2 = f32x4.splat(oneMinusBeta2);
  k1 = f32x4.splat(correction1);
  k2 = f32x4.splat(correction2);
  eps = f32x4.splat(epsilon);
  lambda = f32x4.splat(weightDecay);
  rate = f32x4.splat(learningRate);
  d = f32x4.splat(decay);
  oneMinusD = f32x4.splat(oneMinusDecay);
  decays = weightDecay !== 0;
  const bytes = <usize>(n & ~3) * 4;
  for (let at: usize = 0; at < bytes; at += 16) {
    update(v128.load(p + at), v128.load(g + at), v128.load(m + at), v128.load(v + at), v128.load(e + at), pOut + at, mOut + at, vOut + at, eOut + at);
  }
  const tail = n & 3;
  update(loadTail(p + bytes, tail), loadTail(g + bytes, tail), loadTail(m + bytes, tail), loadTail(v + bytes, tail), loadTail(e + bytes, tail), scratch, scratch + 16, scratch + 32, scratch + 48);
  storeTail(pOut + bytes, v128.load(scratch), tail);
  storeTail(mOut + bytes, v128.load(scratch, 16), tail);
  storeTail(vOut + bytes, v128.load(scratch, 32), tail);
  storeTail(eOut + bytes, v128.load(scratch, 48), tail);
}
