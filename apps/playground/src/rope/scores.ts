import { applyRope, packedToInterleavedPermutation, type RopeTableOptions, ropeTable, tokenPositions } from '@flowdit/rope3d';
import { createRng } from '@flowdit/timestep-shift';
import * as tf from '@tensorflow/tfjs-core';

/** Attention scores of rotated queries against rotated keys, grouped by the keys' offset from the query. */
export interface OffsetScores {
  grid: [number, number, number];
  /** Offsets per axis run from −(n − 1) to n − 1: `2n − 1` values; `(dt, dh, dw)` is at `((dt + T − 1)·(2H − 1) + dh + H − 1)·(2W − 1) + dw + W − 1`. */
  shape: [number, number, number];
  /** The mean score of the query–key pairs at each offset. */
  mean: Float64Array;
  /** The largest minus the smallest score among the pairs at each offset (0 where the score depends on the offset alone). */
  spread: Float64Array;
  /** The number of pairs at each offset. */
  pairs: Int32Array;
  /** The largest spread, and the largest |score|. */
  maxSpread: number;
  maxScore: number;
  /** The largest |packed score − interleaved score| over all pairs, with q and k permuted into each layout. */
  layoutDifference: number;
  /** All scores, [tokens × tokens] (query row, key column), packed layout. */
  scores: Float32Array;
}

/**
 * Rotates one query vector and one key vector at every token of the grid with `applyRope` (the
 * current tfjs backend), scores every query against every key, `q·k/√D`, and groups the scores by
 * offset. RoPE's promise is that they depend on the offset only: the spread is float32 rounding.
 * @param options - the table's options (grid, head dim, preset, θ); its layout is ignored: both are computed.
 * @param seed - seed of the two random vectors.
 */
export async function offsetScores(options: RopeTableOptions, seed = 1): Promise<OffsetScores> {
  const packed = ropeTable({ ...options, layout: 'packed' });
  const interleaved = ropeTable({ ...options, layout: 'interleaved' });
  const { tokens, headDim } = packed;
  if (packed.grid?.length !== 3) throw new RangeError(`offsetScores takes a [T, H, W] grid, got ${JSON.stringify(packed.grid)}`);
  const grid = packed.grid as readonly [number, number, number];
  const rng = createRng(seed);
  const q = Float32Array.from({ length: headDim }, () => rng.normal());
  const k = Float32Array.from({ length: headDim }, () => rng.normal());
  const toInterleaved = packedToInterleavedPermutation(packed.axisDims);
  const permuted = (v: Float32Array) => Float32Array.from(toInterleaved, (from) => v[from]!);
  const scoresOf = (qv: Float32Array, kv: Float32Array, table: typeof packed) =>
    tf.tidy(() => {
      const at = (v: Float32Array) => tf.tile(tf.tensor4d(v, [1, 1, 1, headDim]), [1, tokens, 1, 1]) as tf.Tensor4D;
      const rq = tf.reshape(applyRope(at(qv), table), [tokens, headDim]);
      const rk = tf.reshape(applyRope(at(kv), table), [tokens, headDim]);
      return tf.div(tf.matMul(rq, rk, false, true), Math.sqrt(headDim));
    });
  const packedScores = scoresOf(q, k, packed);
  const interleavedScores = scoresOf(permuted(q), permuted(k), interleaved);
  // read asynchronously: tfjs-webgpu's dataSync goes through canvases, which lost the device in Chromium 150
  let scores: Float32Array;
  let other: Float32Array;
  try {
    [scores, other] = (await Promise.all([packedScores.data(), interleavedScores.data()])) as [Float32Array, Float32Array];
  } finally {
    tf.dispose([packedScores, interleavedScores]);
  }

  const positions = tokenPositions(grid);
  const shape: [number, number, number] = [2 * grid[0] - 1, 2 * grid[1] - 1, 2 * grid[2] - 1];
  const cells = shape[0] * shape[1] * shape[2];
  const sum = new Float64Array(cells);
  const low = new Float64Array(cells).fill(Number.POSITIVE_INFINITY);
  const high = new Float64Array(cells).fill(Number.NEGATIVE_INFINITY);
  const pairs = new Int32Array(cells);
  let maxScore = 0;
  let layoutDifference = 0;
  for (let i = 0; i < tokens; i++) {
    for (let j = 0; j < tokens; j++) {
      const d = [0, 1, 2].map((axis) => positions[3 * j + axis]! - positions[3 * i + axis]! + grid[axis]! - 1);
      const cell = (d[0]! * shape[1] + d[1]!) * shape[2] + d[2]!;
      const score = scores[i * tokens + j]!;
      sum[cell]! += score;
      low[cell] = Math.min(low[cell]!, score);
      high[cell] = Math.max(high[cell]!, score);
      pairs[cell]! += 1;
      maxScore = Math.max(maxScore, Math.abs(score));
      layoutDifference = Math.max(layoutDifference, Math.abs(score - other[i * tokens + j]!));
    }
  }
  const spread = high.map((h, cell) => h - low[cell]!);
  return {
    grid: [grid[0], grid[1], grid[2]],
    shape,
    mean: sum.map((s, cell) => s / pairs[cell]!),
    spread,
    pairs,
    maxSpread: Math.max(...spread),
    maxScore,
    layoutDifference,
    scores,
  };
}
