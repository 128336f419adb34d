import { expNonPositive } from './exp';
import { loadTail, storeTail } from './lanes';

// The GELU of src/kernels/activations.ts for the wasm backend, f32x4 over the elements: the
// tanh approximation x·σ(2u), 2u = C1·(x + C2·x³), on tensors in tfjs's heap.

const C1: f32 = 1.5957691216057308; // 2·√(2/π)
const C2: f32 = 0.044715;

/** σ(2u) of four x: e^(−|2u|) keeps the exponential's argument non-positive. */
function geluSigmoid(x: v128): v128 {
  const twoU = f32x4.mul(f32x4.splat(C1), f32x4.add(x, f32x4.mul(f32x4.splat(C2), f32x4.mul(x, f32x4.mul(x, x)))));
  const e = expNonPositive(f32x4.neg(f32x4.abs(twoU)));
  const one = f32x4.splat(1);
  // σ(z) = 1/(1 + e^−z) for z ≥ 0, e^z/(1 + e^z) below
  return f32x4.div(v128.bitselect(one, e, f32x4.ge(twoU, f32x4.splat(0))), f32x4.add(one, e));
}

function gelu(v: v128): v128 {
  return f32x4.mul(v, geluSigmoid(v));
}

/** dy·GELU′(x) = dy·(σ + x·σ·(1 − σ)·C1·(1 + 3·C2·x²)). */
function geluGrad(v: v128, dy: v128): v128 {
  const one = f32x4.splat(1);
  const s = geluSigmoid(v);
  const slope = f32x4.mul(f32x4.splat(C1), f32x4.add(one, f32x4.mul(f32x4.splat(3 * C2), f32x4.mul(v, v))));
  return f32x4.mul(dy, f32x4.add(s, f32x4.mul(f32x4.mul(v, f32x4.mul(s, f32x4.sub(one, s))), slope)));
}

/** y = GELU(x) of n floats. */
export function geluForward(x: usize, y: usize, n: i32): void {
  const bytes = <usize>(n & ~3) * 4;
  for (let at: usize = 0; at < bytes; at += 16) v128.store(y + at, gelu(v128.load(x + at)));
  storeTail(y + bytes, gelu(loadTail(x + bytes, n & 3)), n & 3);
}

/** dx = dy·GELU′(x) of n floats. */
export function geluBackward(x: usize, dy: usize, dx: usize, n: i32): void {
  const bytes = <usize>(n & ~3) * 4;
  for (let at: usize = 0; at < bytes; at += 16) v128.store(dx + at, geluGrad(v128.load(x + at), v128.load(dy + at)));
  storeTail(dx + bytes, geluGrad(loadTail(x + bytes, n & 3), loadTail(dy + bytes, n & 3)), n & 3);
}
