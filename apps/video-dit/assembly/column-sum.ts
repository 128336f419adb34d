// The column sums of src/kernels/column-sum.ts for the wasm backend: each column summed over the
// rows in float64, in row order as the JS loop does (so the same to the bit), eight columns at a
// time in four f64x2 registers, on tensors in tfjs's heap.

/** The cols float32 sums of the columns of x, [rows, cols], to `out`. */
export function columnSum(x: usize, out: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols * 4;
  const end = x + <usize>rows * rowBytes;
  const vectorCols = cols & ~7;
  for (let c = 0; c < vectorCols; c += 8) {
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let s2 = f64x2.splat(0);
    let s3 = f64x2.splat(0);
    for (let at = x + (<usize>c << 2); at < end; at += rowBytes) {
      const low = v128.load(at);
      const high = v128.load(at, 16);
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(low));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(i32x4.shuffle(low, low, 2, 3, 0, 1)));
      s2 = f64x2.add(s2, f64x2.promote_low_f32x4(high));
      s3 = f64x2.add(s3, f64x2.promote_low_f32x4(i32x4.shuffle(high, high, 2, 3, 0, 1)));
    }
    const to = out + (<usize>c << 2);
    v128.store(to, i64x2.shuffle(f32x4.demote_f64x2_zero(s0), f32x4.demote_f64x2_zero(s1), 0, 2));
    v128.store(to, i64x2.shuffle(f32x4.demote_f64x2_zero(s2), f32x4.demote_f64x2_zero(s3), 0, 2), 16);
  }
  for (let c = vectorCols; c < cols; c++) {
    let sum: f64 = 0;
    for (let at = x + (<usize>c << 2); at < end; at += rowBytes) sum += <f64>load<f32>(at);
    store<f32>(out + (<usize>c << 2), <f32>sum);
  }
}
