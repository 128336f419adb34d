// The 2-D products of src/kernels/matmul.ts for the wasm backend: C[m, n] = op(A)·op(B), op a
// transpose or not, in f32x4, on tensors in tfjs's heap, with scratch the caller allocates there.
//
// B is first packed into panels of 8 columns, each [k, 8] contiguous (zero columns past n), and
// A into rows padded to a multiple of 4 (zero rows past m), transposing either on the way; A is
// read in place where it needs neither, and C written in place where it needs no padding. A
// 4 × 8 block of C then keeps its 8 vector sums in registers over the whole of k: per k, two
// loads of the panel, four broadcast loads of A, eight multiplies and eight adds. Transposing
// here, rather than in a tfjs kernel before the product, saves a pass over the tensor and a
// kernel; packing per call costs a pass over A and B, small beside the 2·m·n·k of the product.

export const PANEL: i32 = 8;
export const ROWS: i32 = 4;
/** Steps of k per slice: 8 kB of a panel and 4 kB of A rows. */
const DEPTH: i32 = 256;

export function roundUp(n: i32, to: i32): i32 {
  return ((n + to - 1) / to) * to;
}

/** Whether A is used where it lies: not transposed, rows a multiple of 4. */
function aInPlace(m: i32, transposeA: bool): bool {
  return !transposeA && m % ROWS === 0;
}

/** Whether C is written where it lies: rows a multiple of 4, columns of 8. */
function cInPlace(m: i32, n: i32): bool {
  return m % ROWS === 0 && n % PANEL === 0;
}

/** Bytes of scratch a product needs: the packed B, and A and C where they need padding. */
export function matmulScratchBytes(m: i32, k: i32, n: i32, transposeA: bool): usize {
  const m4 = roundUp(m, ROWS);
  const n8 = roundUp(n, PANEL);
  return (<usize>k * n8 + (aInPlace(m, transposeA) ? 0 : <usize>m4 * k) + (cInPlace(m, n) ? 0 : <usize>m4 * n8)) * 4;
}

/** A, [m, k] or [k, m] transposed, as m4 rows of k (zero rows past m). */
export function packA(to: usize, a: usize, m: i32, k: i32, transposed: bool): void {
  const m4 = roundUp(m, ROWS);
  if (!transposed) memory.copy(to, a, <usize>m * k * 4);
  else {
    // 4 × 4 tiles transposed in registers where both sides have four, single floats at the edges
    const mTiles = m & ~3;
    const kTiles = k & ~3;
    const inRow = <usize>m * 4;
    const outRow = <usize>k * 4;
    for (let r = 0; r < kTiles; r += 4) {
      const from = a + <usize>r * inRow;
      for (let i = 0; i < mTiles; i += 4) {
        const x0 = v128.load(from + (<usize>i << 2));
        const x1 = v128.load(from + inRow + (<usize>i << 2));
        const x2 = v128.load(from + 2 * inRow + (<usize>i << 2));
        const x3 = v128.load(from + 3 * inRow + (<usize>i << 2));
        const low01 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
        const high01 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
        const low23 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
        const high23 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
        const out = to + <usize>i * outRow + (<usize>r << 2);
        v128.store(out, i64x2.shuffle(low01, low23, 0, 2));
        v128.store(out + outRow, i64x2.shuffle(low01, low23, 1, 3));
        v128.store(out + 2 * outRow, i64x2.shuffle(high01, high23, 0, 2));
        v128.store(out + 3 * outRow, i64x2.shuffle(high01, high23, 1, 3));
      }
    }
    for (let r = 0; r < k; r++) {
      const from = a + <usize>r * inRow;
      for (let i = r < kTiles ? mTiles : 0; i < m; i++) store<f32>(to + <usize>i * outRow + (<usize>r << 2), load<f32>(from + (<usize>i << 2)));
    }
  }
  memory.fill(to + <usize>m * k * 4, 0, <usize>(m4 - m) * k * 4);
}

/** B, [k, n] or [n, k] transposed, as panels of [k, 8] (zero columns past n). */
export function packB(to: usize, b: usize, k: i32, n: i32, transposed: bool): void {
  const n8 = roundUp(n, PANEL);
  for (let j0 = 0; j0 < n8; j0 += PANEL) {
    const panel = to + <usize>j0 * k * 4;
    const width = min(PANEL, n - j0);
    if (width < PANEL) memory.fill(panel, 0, <usize>k * PANEL * 4);
    if (!transposed && width === PANEL) {
      // two vector moves a row: a memory.copy of 32 bytes costs a call
      for (let r = 0; r < k; r++) {
        const from = b + (<usize>r * n + j0) * 4;
        const row = panel + <usize>r * PANEL * 4;
        v128.store(row, v128.load(from));
        v128.store(row, v128.load(from, 16), 16);
      }
    } else if (!transposed) {
      for (let r = 0; r < k; r++) memory.copy(panel + <usize>r * PANEL * 4, b + (<usize>r * n + j0) * 4, <usize>width * 4);
    } else {
      for (let c = 0; c < width; c++) {
        const from = b + <usize>(j0 + c) * k * 4;
        for (let r = 0; r < k; r++) store<f32>(panel + (<usize>r * PANEL + c) * 4, load<f32>(from + (<usize>r << 2)));
      }
    }
  }
}

/**
 * Adds to the 4 × 8 block of C at `c` the products over `depth` steps of the shared dimension:
 * rows of A from `a` (`rowBytes` apart), the panel's rows from `panel`. The sums carry on from
 * what C holds in the same order as one pass over k would, so splitting k changes no bit.
 */
function block(c: usize, a: usize, panel: usize, depth: i32, rowBytes: usize, cStride: usize): void {
  let c00 = v128.load(c);
  let c01 = v128.load(c, 16);
  let c10 = v128.load(c + cStride);
  let c11 = v128.load(c + cStride, 16);
  let c20 = v128.load(c + 2 * cStride);
  let c21 = v128.load(c + 2 * cStride, 16);
  let c30 = v128.load(c + 3 * cStride);
  let c31 = v128.load(c + 3 * cStride, 16);
  const a1 = a + rowBytes;
  const a2 = a1 + rowBytes;
  const a3 = a2 + rowBytes;
  let p = panel;
  const depthBytes = <usize>depth * 4;
  for (let r: usize = 0; r < depthBytes; r += 4) {
    const b0 = v128.load(p);
    const b1 = v128.load(p, 16);
    p += 32;
    const x0 = v128.load32_splat(a + r);
    c00 = f32x4.add(c00, f32x4.mul(x0, b0));
    c01 = f32x4.add(c01, f32x4.mul(x0, b1));
    const x1 = v128.load32_splat(a1 + r);
    c10 = f32x4.add(c10, f32x4.mul(x1, b0));
    c11 = f32x4.add(c11, f32x4.mul(x1, b1));
    const x2 = v128.load32_splat(a2 + r);
    c20 = f32x4.add(c20, f32x4.mul(x2, b0));
    c21 = f32x4.add(c21, f32x4.mul(x2, b1));
    const x3 = v128.load32_splat(a3 + r);
    c30 = f32x4.add(c30, f32x4.mul(x3, b0));
    c31 = f32x4.add(c31, f32x4.mul(x3, b1));
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c + cStride, c10);
  v128.store(c + cStride, c11, 16);
  v128.store(c + 2 * cStride, c20);
  v128.store(c + 2 * cStride, c21, 16);
  v128.store(c + 3 * cStride, c30);
  v128.store(c + 3 * cStride, c31, 16);
}

/**
 * out = A·B for m4 rows of A (`rowBytes` apart, `depth` floats used of each) and B packed by
 * `packB` with `depth` rows, out [m4, n8] dense.
 */
export function product(out: usize, rowsA: usize, packedB: usize, m4: i32, depth: i32, rowBytes: usize, n8: i32): void {
  const cStride = <usize>n8 * 4;
  memory.fill(out, 0, <usize>m4 * cStride);
  // k in slices, so that a slice of a panel and of four rows of A stay in the L1 cache
  for (let k0 = 0; k0 < depth; k0 += DEPTH) {
    const slice = min(DEPTH, depth - k0);
    for (let j0 = 0; j0 < n8; j0 += PANEL) {
      const panel = packedB + (<usize>j0 * depth + <usize>k0 * PANEL) * 4;
      for (let i = 0; i < m4; i += ROWS) block(out + <usize>i * cStride + <usize>j0 * 4, rowsA + <usize>i * rowBytes + <usize>k0 * 4, panel, slice, rowBytes, cStride);
    }
  }
}

/** Adds the n floats at `bias` to each of the m rows of `out` (rows `stride` bytes apart), as a separate add would round. */
function addBias(out: usize, bias: usize, m: i32, n: i32, stride: usize): void {
  const vectorBytes = <usize>(n & ~3) * 4;
  const rowBytes = <usize>n * 4;
  for (let i = 0; i < m; i++) {
    const row = out + <usize>i * stride;
    for (let c: usize = 0; c < vectorBytes; c += 16) v128.store(row + c, f32x4.add(v128.load(row + c), v128.load(bias + c)));
    for (let c = vectorBytes; c < rowBytes; c += 4) store<f32>(row + c, load<f32>(row + c) + load<f32>(bias + c));
  }
}

/**
 * C = op(A)·op(B) (+ bias), [m, n].
 * @param a - `[m, k]`, or `[k, m]` when transposeA.
 * @param b - `[k, n]`, or `[n, k]` when transposeB.
 * @param c - where C goes.
 * @param scratch - `matmulScratchBytes` bytes.
 * @param bias - n floats added to every row of the product, or 0 for none.
 */
export function matmul(a: usize, b: usize, c: usize, scratch: usize, m: i32, k: i32, n: i32, transposeA: bool, transposeB: bool, bias: usize): void {
  const m4 = roundUp(m, ROWS);
  const n8 = roundUp(n, PANEL);
  const packedB = scratch;
  let next = packedB + <usize>k * n8 * 4;
  let rowsA = a;
  if (!aInPlace(m, transposeA)) {
    rowsA = next;
    next += <usize>m4 * k * 4;
    packA(rowsA, a, m, k, transposeA);
  }
  const out = cInPlace(m, n) ? c : next;
  packB(packedB, b, k, n, transposeB);
  product(out, rowsA, packedB, m4, k, <usize>k * 4, n8);
  if (bias !== 0) addBias(out, bias, m, n, <usize>n8 * 4);
  if (out !== c) for (let i = 0; i < m; i++) memory.copy(c + <usize>i * n * 4, out + <usize>i * n8 * 4, <usize>n * 4);
}
