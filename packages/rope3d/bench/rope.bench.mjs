// Time to apply RoPE to q and k of one video attention layer, on the cpu and wasm backends side by
// side: the packed 3D table against a plain 1D RoPE and the naive per-axis way, and the fused
// kernel against the composed tfjs ops it replaces (what applyRope runs where it is not registered).
// Run: pnpm --filter @flowdit/rope3d build && pnpm --filter @flowdit/rope3d bench
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { applyRope, axisDimsFor, axisHalfSplitToPackedPermutation, ropeTable } from '../dist/index.js';

const GRID = [8, 16, 16]; // 8 latent frames of 16×16 tokens
const HEADS = 8;
const HEAD_DIM = 64;
const TOKENS = GRID[0] * GRID[1] * GRID[2];
const SHAPE = [1, TOKENS, HEADS, HEAD_DIM];
const WARMUP = 3;
const RUNS = Number(process.env.ROPE_BENCH_RUNS ?? 11);
// the fused kernel's name in the tfjs kernel registry
const ROPE_KERNEL = 'FlowditRotaryEmbedding';

const packed3d = ropeTable({ grid: GRID, headDim: HEAD_DIM, preset: 'wan', layout: 'packed' });
const interleaved3d = ropeTable({ grid: GRID, headDim: HEAD_DIM, preset: 'wan', layout: 'interleaved' });
// A plain 1D RoPE over the flattened sequence is the same table machinery with one axis.
const table1d = ropeTable({ grid: [TOKENS, 1, 1], headDim: HEAD_DIM, axisDims: [HEAD_DIM, 0, 0], maxPositions: TOKENS });

/** cos/sin tensors [S, 1, d] of channels [from, to) of a packed table's first half, repeated NeoX style. */
function neoxTables(table, from, to) {
  const width = to - from;
  const cos = new Float32Array(table.tokens * 2 * width);
  const sin = new Float32Array(table.tokens * 2 * width);
  for (let s = 0; s < table.tokens; s++) {
    for (let j = 0; j < width; j++) {
      for (const copy of [0, width]) {
        cos[s * 2 * width + copy + j] = table.cos[s * table.headDim + from + j];
        sin[s * 2 * width + copy + j] = table.sin[s * table.headDim + from + j];
      }
    }
  }
  return { cos: tf.tensor3d(cos, [table.tokens, 1, 2 * width]), sin: tf.tensor3d(sin, [table.tokens, 1, 2 * width]) };
}

/** Textbook GPT-NeoX rotation: x·cos + rotate_half(x)·sin, rotate_half(x) = cat(−x2, x1). */
function neox(x, { cos, sin }) {
  const [x1, x2] = tf.split(x, 2, 3);
  return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], 3), sin));
}

/** applyRope as composed tfjs ops: the fused kernel unregistered for the call. */
function composed(f) {
  const backendName = tf.getBackend();
  const kernel = tf.getKernel(ROPE_KERNEL, backendName);
  tf.unregisterKernel(ROPE_KERNEL, backendName);
  try {
    return f();
  } finally {
    tf.registerKernel(kernel);
  }
}

function methods() {
  const textbook1d = neoxTables(table1d, 0, HEAD_DIM / 2);
  const dims = axisDimsFor('wan', HEAD_DIM);
  // per-axis tables: pairs of axis a occupy [start_a, start_a + d_a/2) of the packed first half
  const starts = [0, dims[0] / 2, (dims[0] + dims[1]) / 2];
  const perAxis = dims.map((d, a) => neoxTables(packed3d, starts[a], starts[a] + d / 2));
  const channelStarts = [0, dims[0], dims[0] + dims[1]];
  return {
    tensors: [textbook1d, ...perAxis].flatMap(({ cos, sin }) => [cos, sin]),
    list: [
      ['packed 3D (applyRope)', (x) => applyRope(x, packed3d)],
      ['interleaved 3D (applyRope)', (x) => applyRope(x, interleaved3d)],
      ['1D table (applyRope)', (x) => applyRope(x, table1d)],
      ['1D textbook NeoX', (x) => neox(x, textbook1d)],
      [
        'naive per-axis 3D',
        (x) =>
          tf.concat(
            dims.map((d, a) => neox(tf.slice(x, [0, 0, 0, channelStarts[a]], [-1, -1, -1, d]), perAxis[a])),
            3,
          ),
      ],
      ['packed 3D, composed ops', (x) => composed(() => applyRope(x, packed3d))],
    ],
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function once(f, q, k) {
  const start = performance.now();
  tf.tidy(() => {
    const outQ = f(q);
    const outK = f(k);
    outQ.dataSync();
    outK.dataSync();
  });
  return performance.now() - start;
}

/** The indices 0..n−1 in an order drawn from `seed` (Fisher–Yates with a small LCG). */
function shuffled(n, seed) {
  const order = Array.from({ length: n }, (_, i) => i);
  let state = seed + 1;
  for (let i = n - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * Median time per method; the methods take turns in every round, in a new order each round, so
 * that load on the machine and the garbage a slow method leaves for the next hit all alike.
 */
function timeAll(list, q, k) {
  for (let i = 0; i < WARMUP; i++) for (const [, f] of list) once(f, q, k);
  const samples = list.map(() => []);
  for (let run = 0; run < RUNS; run++) {
    for (const m of shuffled(list.length, run)) samples[m].push(once(list[m][1], q, k));
  }
  return samples.map(median);
}

const results = {};
// wasm first: the cpu methods leave seconds of garbage behind them
for (const backend of ['wasm', 'cpu']) {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to start`);
  const q = tf.randomNormal(SHAPE, 0, 1, 'float32', 1);
  const k = tf.randomNormal(SHAPE, 0, 1, 'float32', 2);
  const { tensors, list } = methods();
  // the methods must agree before their times mean anything: naive per-axis on q, moved to the
  // packed channel order, equals packed on q moved to the packed channel order
  const toPacked = (x) => tf.gather(x, tf.tensor1d(axisHalfSplitToPackedPermutation(axisDimsFor('wan', HEAD_DIM)), 'int32'), 3);
  const reference = tf.tidy(() => list[0][1](toPacked(q)).dataSync());
  const naive = tf.tidy(() => toPacked(list[4][1](q)).dataSync());
  let worst = 0;
  for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(reference[i] - naive[i]));
  if (worst > 1e-5) throw new Error(`naive per-axis and packed disagree by ${worst} on ${backend}`);
  // the three applyRope methods run one kernel each; timed apart from the composed ones, whose
  // seconds of garbage on cpu would otherwise land on whichever fast method comes next
  const medians = [...timeAll(list.slice(0, 3), q, k), ...timeAll(list.slice(3), q, k)];
  list.forEach(([name], m) => {
    results[name] ??= {};
    results[name][backend] = medians[m];
  });
  tf.dispose([q, k, ...tensors]);
}

const pad = (text, width) => String(text).padEnd(width);
console.log(`RoPE on q and k, each [${SHAPE.join(', ')}] (grid ${GRID.join('×')}, ${HEADS} heads, head dim ${HEAD_DIM}); median of ${RUNS} rounds after ${WARMUP} warm-up rounds, ms`);
console.log(`${pad('method', 30)}${pad('cpu', 12)}${pad('wasm', 12)}`);
for (const [name, perBackend] of Object.entries(results)) {
  console.log(`${pad(name, 30)}${pad(perBackend.cpu.toFixed(2), 12)}${pad(perBackend.wasm.toFixed(2), 12)}`);
}
const ratio = (a, b, backend) => (results[a][backend] / results[b][backend]).toFixed(2);
for (const [label, a, b] of [
  ['packed 3D / 1D table', 'packed 3D (applyRope)', '1D table (applyRope)'],
  ['packed 3D / 1D textbook', 'packed 3D (applyRope)', '1D textbook NeoX'],
  ['naive per-axis / packed 3D', 'naive per-axis 3D', 'packed 3D (applyRope)'],
  ['composed / fused kernel', 'packed 3D, composed ops', 'packed 3D (applyRope)'],
]) {
  console.log(`${pad(label, 30)}${pad(ratio(a, b, 'cpu'), 12)}${pad(ratio(a, b, 'wasm'), 12)}`);
}
