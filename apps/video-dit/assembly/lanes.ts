// Where a tensor's length is not a multiple of four, its last floats as one vector: the kernels
// read and write tfjs's tensors in place, so nothing past a tensor's end may be touched.

/** The `count` (< 4) floats at `at` in the low lanes, zeros above. */
export function loadTail(at: usize, count: i32): v128 {
  let v = f32x4.splat(0);
  if (count > 0) v = f32x4.replace_lane(v, 0, load<f32>(at));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(at, 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(at, 8));
  return v;
}

/** The low `count` (< 4) lanes of v to `at`. */
export function storeTail(at: usize, v: v128, count: i32): void {
  if (count > 0) store<f32>(at, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(at, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(at, f32x4.extract_lane(v, 2), 8);
}
