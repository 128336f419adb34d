import { base } from './layout';

// The AdamW update of src/kernels/adamw.ts for the wasm backend, f32x4 over a weight's elements.
// The caller copies p, g, m, v and ema one after another from base(), each padded to a multiple of
// four floats, and copies the new p, m, v and ema that follow them back out. Every operation is a
// float32 one in the JS loop's order, so the results are the same to the bit.

function roundUp4(n: i32): i32 {
  return (n + 3) & ~3;
}

/** Bytes from base() that an update of n floats needs: five inputs and four outputs. */
export function adamwBytesNeeded(n: i32): usize {
  return 9 * <usize>roundUp4(n) * 4;
}

/** One update of the n floats of a weight (its numbers as the JS loop of src/kernels/adamw.ts names them). */
export function adamwUpdate(
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
  const bytes = <usize>roundUp4(n) * 4;
  const p = base();
  const g = p + bytes;
  const m = g + bytes;
  const v = m + bytes;
  const e = v + bytes;
  const pOut = e + bytes;
  const mOut = pOut + bytes;
  const vOut = mOut + bytes;
  const eOut = vOut + bytes;
  const scale = f32x4.splat(gradScale);
  const b1 = f32x4.splat(beta1);
  const c1 = f32x4.splat(oneMinusBeta1);
  const b2 = f32x4.splat(beta2);
  const c2 = f32x4.splat(oneMinusBeta2);
  const k1 = f32x4.splat(correction1);
  const k2 = f32x4.splat(correction2);
  const eps = f32x4.splat(epsilon);
  const lambda = f32x4.splat(weightDecay);
  const rate = f32x4.splat(learningRate);
  const d = f32x4.splat(decay);
  const oneMinusD = f32x4.splat(oneMinusDecay);
  const decays = weightDecay !== 0;
  for (let at: usize = 0; at < bytes; at += 16) {
    const weight = v128.load(p + at);
    const grad = f32x4.mul(v128.load(g + at), scale);
    const m1 = f32x4.add(f32x4.mul(v128.load(m + at), b1), f32x4.mul(grad, c1));
    const v1 = f32x4.add(f32x4.mul(v128.load(v + at), b2), f32x4.mul(f32x4.mul(grad, grad), c2));
    let step = f32x4.div(f32x4.div(m1, k1), f32x4.add(f32x4.sqrt(f32x4.div(v1, k2)), eps));
    if (decays) step = f32x4.add(step, f32x4.mul(weight, lambda));
    const p1 = f32x4.sub(weight, f32x4.mul(step, rate));
    v128.store(pOut + at, p1);
    v128.store(mOut + at, m1);
    v128.store(vOut + at, v1);
    v128.store(eOut + at, f32x4.add(f32x4.mul(v128.load(e + at), d), f32x4.mul(p1, oneMinusD)));
  }
}
