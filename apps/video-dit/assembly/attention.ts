import { expNonPositive } from './exp';
import { PANEL, packA, packB, product, ROWS, roundUp } from './matmul';

// The fused attention of src/kernels/attention.ts for the wasm backend, on tensors
// `[batch, tokens, heads, headDim]` in tfjs's heap, with scratch the caller allocates there.
//
// Each (batch, head) block is gathered into contiguous rows, and its products are those of
// matmul.ts: S = Q·Kᵀ and O = P·V forward; dP = dO·Vᵀ, dQ = dS·K, dK = dSᵀ·Q and dV = Pᵀ·dO
// backward, each a 4 × 8 register block over packed panels. Queries are padded with zero rows to
// a multiple of 4 and keys to a multiple of 8: a padded key's probability is set to 0, and a
// padded query's row of P too, so that neither adds to a gradient.

let tokens: i32 = 0;
let heads: i32 = 0;
let headDim: i32 = 0;
let t4: i32 = 0; // query rows, padded
let t8: i32 = 0; // key columns, padded
let d8: i32 = 0; // headDim columns, padded
let headBytes: usize = 0; // a gathered row: headDim floats

/** The scratch's regions, each sized for the largest thing it holds. */
let qBlock: usize = 0; // [t8, headDim] Q·scale (rows past tokens 0)
let kBlock: usize = 0; // [t8, headDim]
let vBlock: usize = 0; // [t8, headDim]
let dOBlock: usize = 0; // [t8, headDim]
let scores: usize = 0; // [t4, t8] S, then P
let dScores: usize = 0; // [t4, t8] dP, then dS
let panels: usize = 0; // a packed B: [max(t8, d8) · max(t8, t4)] floats
let rowsA: usize = 0; // a packed (transposed) A: [t8, t4]
let out: usize = 0; // a product: [t8, max(t8, d8)]

function setShape(tokensIn: i32, headsIn: i32, headDimIn: i32, scratch: usize): void {
  tokens = tokensIn;
  heads = headsIn;
  headDim = headDimIn;
  t4 = roundUp(tokensIn, ROWS);
  t8 = roundUp(tokensIn, PANEL);
  d8 = roundUp(headDimIn, PANEL);
  headBytes = <usize>headDimIn * 4;
  const blockBytes = <usize>t8 * headBytes;
  const scoreBytes = <usize>t4 * t8 * 4;
  const wide = <usize>max(t8, d8);
  qBlock = scratch;
  kBlock = qBlock + blockBytes;
  vBlock = kBlock + blockBytes;
  dOBlock = vBlock + blockBytes;
  scores = dOBlock + blockBytes;
  dScores = scores + scoreBytes;
  panels = dScores + scoreBytes;
  rowsA = panels + wide * <usize>t8 * 4;
  out = rowsA + <usize>t8 * t4 * 4;
}

/** Bytes of scratch a call needs. */
export function attentionScratchBytes(tokensIn: i32, headDimIn: i32): usize {
  const t4In = roundUp(tokensIn, ROWS);
  const t8In = roundUp(tokensIn, PANEL);
  const wide = <usize>max(t8In, roundUp(headDimIn, PANEL));
  return 4 * <usize>t8In * headDimIn * 4 + 2 * <usize>t4In * t8In * 4 + wide * <usize>t8In * 4 + <usize>t8In * t4In * 4 + <usize>t8In * wide * 4;
}

function rawRow(tensor: usize, b: i32, i: i32, h: i32): usize {
  return tensor + <usize>(((b * tokens + i) * heads + h) * headDim) * 4;
}

/** Block (b, h) of a raw tensor as t8 rows of headDim (zeros past tokens), times `factor`. */
function gather(block: usize, tensor: usize, b: i32, h: i32, factor: f32): void {
  const vectorBytes = <usize>(headDim & ~3) * 4;
  const scale = f32x4.splat(factor);
  for (let i = 0; i < tokens; i++) {
    const from = rawRow(tensor, b, i, h);
    const to = block + <usize>i * headBytes;
    for (let c: usize = 0; c < vectorBytes; c += 16) v128.store(to + c, f32x4.mul(v128.load(from + c), scale));
    for (let c = vectorBytes; c < headBytes; c += 4) store<f32>(to + c, load<f32>(from + c) * factor);
  }
  memory.fill(block + <usize>tokens * headBytes, 0, <usize>(t8 - tokens) * headBytes);
}

/** The first `tokens` rows and headDim columns of a product [rows, d8] into a raw tensor, times `factor`. */
function scatter(tensor: usize, product: usize, b: i32, h: i32, factor: f32): void {
  const vectorBytes = <usize>(headDim & ~3) * 4;
  const scale = f32x4.splat(factor);
  const stride = <usize>d8 * 4;
  for (let i = 0; i < tokens; i++) {
    const from = product + <usize>i * stride;
    const to = rawRow(tensor, b, i, h);
    for (let c: usize = 0; c < vectorBytes; c += 16) v128.store(to + c, f32x4.mul(v128.load(from + c), scale));
    for (let c = vectorBytes; c < headBytes; c += 4) store<f32>(to + c, load<f32>(from + c) * factor);
  }
}

function horizontalMax(x: v128): f32 {
  const m = f32x4.max(x, v128.shuffle<f32>(x, x, 2, 3, 0, 1));
  return max<f32>(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1));
}

function horizontalSum(x: v128): f32 {
  const s = f32x4.add(x, v128.shuffle<f32>(x, x, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** Lanes of the four keys from j that are real keys. */
function keysMask(j: i32): v128 {
  const index = i32x4.add(i32x4.splat(j), i32x4(0, 1, 2, 3));
  return i32x4.lt_s(index, i32x4.splat(tokens));
}

/** P from S = Q·Kᵀ (Q already scaled), in place: each real query's row softmaxed over the real keys, everything else 0. */
function softmaxRows(): void {
  const stride = <usize>t8 * 4;
  for (let i = 0; i < t4; i++) {
    const row = scores + <usize>i * stride;
    if (i >= tokens) {
      memory.fill(row, 0, stride);
      continue;
    }
    let vmax = f32x4.splat(f32.NEGATIVE_INFINITY);
    for (let j = 0; j < t8; j += 4) {
      const s = v128.bitselect(v128.load(row + (<usize>j << 2)), f32x4.splat(f32.NEGATIVE_INFINITY), keysMask(j));
      vmax = f32x4.max(vmax, s);
    }
    const m = f32x4.splat(horizontalMax(vmax));
    let vsum = f32x4.splat(0);
    for (let j = 0; j < t8; j += 4) {
      const at = row + (<usize>j << 2);
      const e = v128.and(expNonPositive(f32x4.sub(v128.load(at), m)), keysMask(j));
      v128.store(at, e);
      vsum = f32x4.add(vsum, e);
    }
    const inverse = f32x4.splat(1 / horizontalSum(vsum));
    for (let j = 0; j < t8; j += 4) {
      const at = row + (<usize>j << 2);
      v128.store(at, f32x4.mul(v128.load(at), inverse));
    }
  }
}

/** P of block (b, h) into `scores`, from the gathered qBlock and kBlock. */
function probabilities(): void {
  // S = Q·Kᵀ: A the t4 query rows, B = Kᵀ from the key rows (transposed: [t8 keys, headDim])
  packB(panels, kBlock, headDim, t8, true);
  product(scores, qBlock, panels, t4, headDim, headBytes, t8);
  softmaxRows();
}

/** o of q, k and v. */
export function attentionForward(q: usize, k: usize, v: usize, o: usize, scratch: usize, batch: i32, tokensIn: i32, headsIn: i32, headDimIn: i32, scale: f32): void {
  setShape(tokensIn, headsIn, headDimIn, scratch);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      gather(qBlock, q, b, h, scale);
      gather(kBlock, k, b, h, 1);
      gather(vBlock, v, b, h, 1);
      probabilities();
      // O = P·V: A the rows of P (t8 keys deep), B the value rows
      packB(panels, vBlock, t8, headDim, false);
      product(out, scores, panels, t4, t8, <usize>t8 * 4, d8);
      scatter(o, out, b, h, 1);
    }
  }
}

/**
 * dQ, dK, dV of q, k, v, o, dO. P is recomputed from q and k (the forward kept no statistics);
 * with δ = rowsum(dO·O), dS = P·(dO·Vᵀ − δ); dQ = scale·dS·K, dK = dSᵀ·(scale·Q), dV = Pᵀ·dO.
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
  setShape(tokensIn, headsIn, headDimIn, scratch);
  const stride = <usize>t8 * 4;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      gather(qBlock, q, b, h, scale);
      gather(kBlock, k, b, h, 1);
      gather(vBlock, v, b, h, 1);
      gather(dOBlock, dO, b, h, 1);
      probabilities();
      // dP = dO·Vᵀ
      packB(panels, vBlock, headDim, t8, true);
      product(dScores, dOBlock, panels, t4, headDim, headBytes, t8);
      // dS = P·(dP − δ), δ of each real query (padded rows of P are 0, so are theirs of dS)
      for (let i = 0; i < tokens; i++) {
        let delta: f32 = 0;
        const oRow = rawRow(o, b, i, h);
        const dORow = dOBlock + <usize>i * headBytes;
        for (let c: usize = 0; c < headBytes; c += 4) delta += load<f32>(oRow + c) * load<f32>(dORow + c);
        const vDelta = f32x4.splat(delta);
        const pRow = scores + <usize>i * stride;
        const dRow = dScores + <usize>i * stride;
        for (let j: usize = 0; j < stride; j += 16) v128.store(dRow + j, f32x4.mul(v128.load(pRow + j), f32x4.sub(v128.load(dRow + j), vDelta)));
      }
      for (let i = tokens; i < t4; i++) memory.fill(dScores + <usize>i * stride, 0, stride);
      // dQ = scale·dS·K: A the rows of dS (t8 keys deep), B the key rows
      packB(panels, kBlock, t8, headDim, false);
      product(out, dScores, panels, t4, t8, stride, d8);
      scatter(dQ, out, b, h, scale);
      // dK = dSᵀ·(scale·Q): A = dSᵀ, [t8 keys, t4 queries]; B the scaled query rows (t4 deep)
      packA(rowsA, dScores, t8, t4, true);
      packB(panels, qBlock, t4, headDim, false);
      product(out, rowsA, panels, t8, t4, <usize>t4 * 4, d8);
      scatter(dK, out, b, h, 1);
      // dV = Pᵀ·dO
      packA(rowsA, scores, t8, t4, true);
      packB(panels, dOBlock, t4, headDim, false);
      product(out, rowsA, panels, t8, t4, <usize>t4 * 4, d8);
      scatter(dV, out, b, h, 1);
    }
  }
}
