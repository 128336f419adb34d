import { expNonPositive } from './exp';
import { base } from './layout';

// The GELU of src/kernels/activations.ts for the wasm backend, f32x4 over the elements: the
// tanh approximation x·σ(2u), 2u = C1·(x + C2·x³). The caller copies x (and dy) one after another
// from `base()`, each padded to a multiple of four floats, and copies the result after them back
// out; the padding lanes compute on whatever is there and are never read.

const C1: f32 = 1.5957691216057308; // 2·√(2/π)
const C2: f32 = 0.044715;

function roundUp4(n: i32): i32 {
  return (n + 3) & ~3;
}

/** σ(2u) of four x: e^(−|2u|) keeps the exponential's argument non-positive. */
function geluSigmoid(x: v128): v128 {
  const twoU = f32x4.mul(f32x4.splat(C1), f32x4.add(x, f32x4.mul(f32x4.splat(C2), f32x4.mul(x, f32x4.mul(x, x)))));
  const e = expNonPositive(f32x4.neg(f32x4.abs(twoU)));
  const one = f32x4.splat(1);
  // σ(z) = 1/(1 + e^−z) for z ≥ 0, e^z/(1 + e^z) below
  return f32x4.div(v128.bitselect(one, e, f32x4.ge(twoU, f32x4.splat(0))), f32x4.add(one, e));
}

/** Bytes from base() that a call needs: `tensors` tensors of n floats. */
export function activationBytesNeeded(n: i32, tensors: i32): usize {
  return <usize>tensors * <usize>roundUp4(n) * 4;
}

/** y = GELU(x) of the n floats at base(), written after them. */
export function geluForward(n: i32): void {
  const bytes = <usize>roundUp4(n) * 4;
  const x = base();
  const y = x + bytes;
  for (let at: usize = 0; at < bytes; at += 16) {
    const v = v128.load(x + at);
    v128.store(y + at, f32x4.mul(v, geluSigmoid(v)));
  }
}

/** dx = dy·GELU′(x) of x then dy at base(), written after them: σ + x·σ·(1 − σ)·C1·(1 + 3·C2·x²). */
export function geluBackward(n: i32): void {
  const bytes = <usize>roundUp4(n) * 4;
  const x = base();
  const dy = x + bytes;
  const dx = dy + bytes;
  const one = f32x4.splat(1);
  for (let at: usize = 0; at < bytes; at += 16) {
    const v = v128.load(x + at);
    const s = geluSigmoid(v);
    const slope = f32x4.mul(f32x4.splat(C1), f32x4.add(one, f32x4.mul(f32x4.splat(3 * C2), f32x4.mul(v, v))));
    const derivative = f32x4.add(s, f32x4.mul(f32x4.mul(v, f32x4.mul(s, f32x4.sub(one, s))), slope));
    v128.store(dx + at, f32x4.mul(v128.load(dy + at), derivative));
  }
}
