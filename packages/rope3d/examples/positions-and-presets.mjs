// Tables beyond a grid: positions per token, segments, four axes, M-RoPE, LTX-Video and DyPE.
// Run from packages/rope3d after `pnpm build`: node examples/positions-and-presets.mjs
import '@tensorflow/tfjs-backend-cpu';
import { applyRope, ropeTable, tokenPositions } from '@flowdit/rope3d';
import * as tf from '@tensorflow/tfjs-core';

await tf.setBackend('cpu');

// Positions per token, [tokens, axes]: any finite numbers (fractional, negative, in any order).
const crop = ropeTable({ preset: 'cogvideox', headDim: 64, positions: [[0, 0, 2], [0, 10, 11.8], [1, 20, 31.5]] });
console.log('CogVideoX split', crop.axisDims); // [16, 24, 24]

// A reference frame at t = −1, then a 4×8×8 video: one table for the concatenated sequence.
const video = ropeTable({
  preset: 'wan',
  headDim: 64,
  segments: [{ positions: tokenPositions([1, 8, 8], [-1, 0, 0]) }, { grid: [4, 8, 8] }],
});
const q = tf.randomNormal([1, video.tokens, 4, 64]);
console.log('tokens', video.tokens, 'rotated', applyRope(q, video).shape); // 64 + 256 = 320

// FLUX.2: four axes (t, h, w, l) of 32 channels, θ 2000; text tokens at (0, 0, 0, l), then the image.
const flux2 = ropeTable({
  preset: 'flux2',
  headDim: 128,
  layout: 'interleaved',
  segments: [{ positions: [[0, 0, 0, 0], [0, 0, 0, 1]] }, { grid: [1, 16, 16, 1] }],
});
console.log('FLUX.2 split', flux2.axisDims, 'θ', flux2.thetas[0]);

// Qwen2-VL's M-RoPE: one ladder θ^(−2j/128), pairs [16, 24, 24] read t, h, w.
const qwen = ropeTable({ preset: 'qwen2-vl', headDim: 128, positions: [[0, 0, 0], [1, 1, 1], [2, 2, 3]] });
console.log('pair axes', qwen.pairAxes.slice(14, 18)); // 0, 0, 1, 1

// LTX-Video: the ladder runs over all heads, so the table is [tokens, heads, headDim].
const ltx = ropeTable({ preset: 'ltx-video', headDim: 64, heads: 32, grid: [2, 4, 4], interpolationFactor: [8 / 25 / 20, 32 / 2048, 32 / 2048] });
console.log('LTX table rows', ltx.tokens, '×', ltx.heads, 'heads');

// DyPE: YaRN that follows the diffusion time (t = 0 noise, t = 1 data); one cached table per 1/1000 of time.
const plain = ropeTable({ preset: 'flux', headDim: 128, grid: [1, 128, 128] });
for (const time of [0, 0.5, 0.9]) {
  const table = ropeTable({ preset: 'flux', headDim: 128, grid: [1, 128, 128], dype: { time, factor: [1, 2, 2], originalPositions: 64 } });
  const kept = table.frequencies.slice(8, 36).filter((omega, j) => Math.abs(omega / plain.frequencies[8 + j] - 1) < 1e-12).length;
  console.log(`DyPE at t = ${time}: ${kept} of 28 height pairs keep their trained frequency`);
}
