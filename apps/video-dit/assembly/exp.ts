// e^x in f32x4, shared by the softmax of attention.ts and the GELU of activations.ts.

/**
 * e^x for x ≤ 0 (a score less its row's maximum, or minus a magnitude), to a few ulp:
 * x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-7 polynomial (minimax coefficients of the common single-precision expf), 2^n
 * written into the exponent. Below −87 the result would be subnormal; it is clamped there, ~1e-38.
 */
export function expNonPositive(x: v128): v128 {
  const clamped = f32x4.max(x, f32x4.splat(-87.0));
  const n = f32x4.nearest(f32x4.mul(clamped, f32x4.splat(Mathf.LOG2E)));
  // ln2 in two parts, so that n·ln2 loses nothing for |n| ≤ 126
  let r = f32x4.sub(clamped, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.add(r, f32x4.mul(n, f32x4.splat(2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1.0));
  const twoToN = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, twoToN);
}

