import { expNonPositive } from './exp';

// The fused attention of src/kernels/attention.ts for the wasm backend, f32x4 over headDim, on
// tensors `[batch, tokens, heads, headDim]` in tfjs's heap, with scratch the caller allocates there.
//
// Each (batch, head) block is first gathered into contiguous rows padded with zeros to D4 (headDim
// rounded up to 4) and T4 (tokens rounded up to 4): a zero lane adds nothing to a dot product or
// an update, so every loop runs whole vectors, and scores come four keys at a time, which lets
// their exponentials be one vector too. A padded key's weight is masked to 0.

let tokens: i32 = 0;
let heads: i32 = 0;
let headDim: i32 = 0;
let t4: i32 = 0;
let rowBytes: i32 = 0; // bytes of a padded row
let tailMask: v128 = i32x4.splat(-1); // lanes of the last chunk of keys that are real keys

function roundUp4(n: i32): i32 {
  return (n + 3) & ~3;
}

/** Bytes of scratch a call needs: the backward's, the larger: seven blocks (q, k, v, dO, dQ, dK, dV), P and dS. */
export function attentionScratchBytes(tokensIn: i32, headDimIn: i32): usize {
  const blockBytes = <usize>roundUp4(tokensIn) * roundUp4(headDimIn) * 4;
  const scoreBytes = <usize>tokensIn * roundUp4(tokensIn) * 4;
  return 7 * blockBytes + 2 * scoreBytes;
}

function setShape(tokensIn: i32, headsIn: i32, headDimIn: i32): void {
  tokens = tokensIn;
  heads = headsIn;
  headDim = headDimIn;
  t4 = roundUp4(tokensIn);
  rowBytes = roundUp4(headDimIn) << 2;
  const realInTail = tokensIn - (t4 - 4);
  let mask = i32x4.splat(0);
  mask = i32x4.replace_lane(mask, 0, realInTail > 0 ? -1 : 0);
  mask = i32x4.replace_lane(mask, 1, realInTail > 1 ? -1 : 0);
  mask = i32x4.replace_lane(mask, 2, realInTail > 2 ? -1 : 0);
  tailMask = i32x4.replace_lane(mask, 3, realInTail > 3 ? -1 : 0);
}

function rawRow(tensor: usize, b: i32, i: i32, h: i32): usize {
  return tensor + <usize>(((b * tokens + i) * heads + h) * headDim) * 4;
}

/** Block (b, h) of a raw tensor as T4 padded rows, times `factor`. */
function gather(block: usize, tensor: usize, b: i32, h: i32, factor: f32): void {
  memory.fill(block, 0, <usize>t4 * rowBytes);
  for (let i = 0; i < tokens; i++) {
    const from = rawRow(tensor, b, i, h);
    const to = block + <usize>i * rowBytes;
    for (let c = 0; c < headDim; c++) store<f32>(to + (<usize>c << 2), load<f32>(from + (<usize>c << 2)) * factor);
  }
}

/** The real rows and lanes of a block back into a raw tensor. */
function scatter(tensor: usize, block: usize, b: i32, h: i32): void {
  for (let i = 0; i < tokens; i++) memory.copy(rawRow(tensor, b, i, h), block + <usize>i * rowBytes, <usize>headDim * 4);
}

/** [a·k0, a·k1, a·k2, a·k3] for the four padded rows from `k`. */
function dot4(a: usize, k: usize): v128 {
  let s0 = f32x4.splat(0);
  let s1 = f32x4.splat(0);
  let s2 = f32x4.splat(0);
  let s3 = f32x4.splat(0);
  const stride = <usize>rowBytes;
  for (let c: usize = 0; c < <usize>rowBytes; c += 16) {
    const x = v128.load(a + c);
    s0 = f32x4.add(s0, f32x4.mul(x, v128.load(k + c)));
    s1 = f32x4.add(s1, f32x4.mul(x, v128.load(k + stride + c)));
    s2 = f32x4.add(s2, f32x4.mul(x, v128.load(k + 2 * stride + c)));
    s3 = f32x4.add(s3, f32x4.mul(x, v128.load(k + 3 * stride + c)));
  }
  // reduce the four sums lane-wise into one vector, without extracting lanes
  const u01 = f32x4.add(v128.shuffle<f32>(s0, s1, 0, 4, 1, 5), v128.shuffle<f32>(s0, s1, 2, 6, 3, 7));
  const u23 = f32x4.add(v128.shuffle<f32>(s2, s3, 0, 4, 1, 5), v128.shuffle<f32>(s2, s3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(u01, u23, 0, 1, 4, 5), v128.shuffle<f32>(u01, u23, 2, 3, 6, 7));
}

function horizontalMax(x: v128): f32 {
  const m = f32x4.max(x, v128.shuffle<f32>(x, x, 2, 3, 0, 1));
  return max<f32>(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1));
}

function horizontalSum(x: v128): f32 {
  const s = f32x4.add(x, v128.shuffle<f32>(x, x, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/**
 * The softmax row of query row `q` (already scaled) against the block's keys, into `p` (T4 floats,
 * padded keys 0): two passes over the stored scores, the maximum first.
 */
function softmaxRow(p: usize, q: usize, kBlock: usize): void {
  const last = t4 - 4;
  let vmax = f32x4.splat(f32.NEGATIVE_INFINITY);
  for (let j = 0; j < t4; j += 4) {
    let s = dot4(q, kBlock + <usize>j * rowBytes);
    if (j === last) s = v128.bitselect(s, f32x4.splat(f32.NEGATIVE_INFINITY), tailMask);
    v128.store(p + (<usize>j << 2), s);
    vmax = f32x4.max(vmax, s);
  }
  const m = f32x4.splat(horizontalMax(vmax));
  let vsum = f32x4.splat(0);
  for (let j = 0; j < t4; j += 4) {
    let e = expNonPositive(f32x4.sub(v128.load(p + (<usize>j << 2)), m));
    if (j === last) e = v128.and(e, tailMask);
    v128.store(p + (<usize>j << 2), e);
    vsum = f32x4.add(vsum, e);
  }
  const inverse = f32x4.splat(1 / horizontalSum(vsum));
  for (let j = 0; j < t4; j += 4) v128.store(p + (<usize>j << 2), f32x4.mul(v128.load(p + (<usize>j << 2)), inverse));
}

/**
 * out (one padded row) = factor·Σ_{n < count} w_n·row_n, the weights `weightStride` bytes apart
 * and the rows consecutive from `rows`. Four vectors of the row are summed at a time in locals,
 * not in memory: a row of headDim 16 whole, each weight loaded once.
 */
function weightedRows(out: usize, w: usize, weightStride: usize, rows: usize, count: i32, factor: f32): void {
  const stride = <usize>rowBytes;
  const vFactor = f32x4.splat(factor);
  let c: usize = 0;
  for (; c + 64 <= stride; c += 64) {
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    let a3 = f32x4.splat(0);
    let weight = w;
    let row = rows + c;
    for (let n = 0; n < count; n++) {
      const x = v128.load32_splat(weight);
      a0 = f32x4.add(a0, f32x4.mul(x, v128.load(row)));
      a1 = f32x4.add(a1, f32x4.mul(x, v128.load(row, 16)));
      a2 = f32x4.add(a2, f32x4.mul(x, v128.load(row, 32)));
      a3 = f32x4.add(a3, f32x4.mul(x, v128.load(row, 48)));
      weight += weightStride;
      row += stride;
    }
    v128.store(out + c, f32x4.mul(a0, vFactor));
    v128.store(out + c, f32x4.mul(a1, vFactor), 16);
    v128.store(out + c, f32x4.mul(a2, vFactor), 32);
    v128.store(out + c, f32x4.mul(a3, vFactor), 48);
  }
  for (; c < stride; c += 16) {
    let a = f32x4.splat(0);
    let weight = w;
    let row = rows + c;
    for (let n = 0; n < count; n++) {
      a = f32x4.add(a, f32x4.mul(v128.load32_splat(weight), v128.load(row)));
      weight += weightStride;
      row += stride;
    }
    v128.store(out + c, f32x4.mul(a, vFactor));
  }
}

/** o of q, k and v. */
export function attentionForward(q: usize, k: usize, v: usize, o: usize, scratch: usize, batch: i32, tokensIn: i32, headsIn: i32, headDimIn: i32, scale: f32): void {
  setShape(tokensIn, headsIn, headDimIn);
  const blockBytes = <usize>t4 * rowBytes;
  const qBlock = scratch;
  const kBlock = qBlock + blockBytes;
  const vBlock = kBlock + blockBytes;
  const oBlock = vBlock + blockBytes;
  const p = oBlock + blockBytes;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      gather(qBlock, q, b, h, scale);
      gather(kBlock, k, b, h, 1);
      gather(vBlock, v, b, h, 1);
      for (let i = 0; i < tokens; i++) {
        softmaxRow(p, qBlock + <usize>i * rowBytes, kBlock);
        weightedRows(oBlock + <usize>i * rowBytes, p, 4, vBlock, tokens, 1);
      }
      scatter(o, oBlock, b, h);
    }
  }
}

/**
 * dQ, dK, dV of q, k, v, o, dO. P is recomputed row by row from q
 * and k (the forward kept no statistics); with D = dO·O, dS = P·(dO·V − D). Both are kept for the
 * block, so that dQ = scale·Σ dS·K sums over a query's row and dK = scale·Σ dS·Q (Q gathered
 * already scaled) and dV = Σ P·dO over a key's column, each into locals.
 */
export function attentionBackward(
  q: usize,
  k: usize,
  v: usize,
  o: usize,
  dO: usize,
  dQ: usize,
  dK: usize,
  dV: usize,
  scratch: usize,
  batch: i32,
  tokensIn: i32,
  headsIn: i32,
  headDimIn: i32,
  scale: f32,
): void {
  setShape(tokensIn, headsIn, headDimIn);
  const blockBytes = <usize>t4 * rowBytes;
  const scoreRowBytes = <usize>t4 << 2;
  const qBlock = scratch;
  const kBlock = qBlock + blockBytes;
  const vBlock = kBlock + blockBytes;
  const dOBlock = vBlock + blockBytes;
  const dQBlock = dOBlock + blockBytes;
  const dKBlock = dQBlock + blockBytes;
  const dVBlock = dKBlock + blockBytes;
  const p = dVBlock + blockBytes;
  const dS = p + <usize>tokens * scoreRowBytes;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      gather(qBlock, q, b, h, scale);
      gather(kBlock, k, b, h, 1);
      gather(vBlock, v, b, h, 1);
      gather(dOBlock, dO, b, h, 1);
      for (let i = 0; i < tokens; i++) {
        const pRow = p + <usize>i * scoreRowBytes;
        const dSRow = dS + <usize>i * scoreRowBytes;
        const dORow = dOBlock + <usize>i * rowBytes;
        softmaxRow(pRow, qBlock + <usize>i * rowBytes, kBlock);
        let delta: f32 = 0;
        const oRow = rawRow(o, b, i, h);
        for (let c = 0; c < headDim; c++) delta += load<f32>(oRow + (<usize>c << 2)) * load<f32>(dORow + (<usize>c << 2));
        const vDelta = f32x4.splat(delta);
        for (let j = 0; j < t4; j += 4) {
          const dP = dot4(dORow, vBlock + <usize>j * rowBytes);
          const at = <usize>j << 2;
          v128.store(dSRow + at, f32x4.mul(v128.load(pRow + at), f32x4.sub(dP, vDelta)));
        }
        weightedRows(dQBlock + <usize>i * rowBytes, dSRow, 4, kBlock, tokens, scale);
      }
      for (let j = 0; j < tokens; j++) {
        const at = <usize>j << 2;
        weightedRows(dKBlock + <usize>j * rowBytes, dS + at, scoreRowBytes, qBlock, tokens, 1);
        weightedRows(dVBlock + <usize>j * rowBytes, p + at, scoreRowBytes, dOBlock, tokens, 1);
      }
      scatter(dQ, dQBlock, b, h);
      scatter(dK, dKBlock, b, h);
      scatter(dV, dVBlock, b, h);
    }
  }
}
