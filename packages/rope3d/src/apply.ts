import type { KernelBackend } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { fusedRopeAvailable, fusedRotation } from './kernel.js';
import { type RopeTable, tableCache } from './table.js';

/** Options of {@link applyRope}. */
export interface ApplyRopeOptions {
  /**
   * Accept more tokens than the table has: tokens past `table.tokens` are trailing padding and come
   * out unchanged (Wan2.1's `rope_apply`). Default false: the token count must equal the table's.
   */
  readonly allowPadding?: boolean;
}

/*
 * Both layouts compute out = x·cos + partner(x)·sinSigned, where partner(x) swaps the two channels
 * of every pair and sinSigned is −sin on a pair's first channel and +sin on its second; with that
 * sign folded into the table, GPT-NeoX's rotate_half is a plain swap. Pairs are (k, k + D/2) when
 * packed and (2j, 2j + 1) when interleaved: the per-element arithmetic is identical, so packed on
 * permuted channels reproduces interleaved bit for bit.
 *
 * On cpu, wasm and webgpu that is one fused kernel (kernel.ts). Elsewhere (webgl, tfjs-node) it is
 * composed of tfjs ops, the swap formulated two ways:
 * - 'swap': view x as [rows, 2, D/2] and concatenate its two slices in reverse order (packed).
 * - 'shift': the partner is x shifted by ±width along the flat data (contiguous 1-D slices only),
 *   masked by two tables: out = x·cos + shiftUp(x)·sinFirst + shiftDown(x)·sinSecond, with
 *   sinFirst zero on second channels and sinSecond zero on first ones (interleaved).
 * The tables are [S, 1, D], broadcast over the heads, or [S, heads, D] when each head has its own.
 */

type Formulation = 'swap' | 'shift';

/** +1 rotates by the table's angles, −1 by their negatives (the transpose, for the gradient). */
type Direction = 1 | -1;

interface UploadedTables {
  /** Each [S, 1, D]: 'swap' [cos, sinSigned], 'shift' [cos, sinFirst, sinSecond]; the inverse direction without cos. */
  readonly tensors: readonly tf.Tensor[];
}

/** table → backend instance → formulation and direction → tensors; a backend instance per key so a re-registered backend gets fresh uploads. */
const uploads = new Map<RopeTable, Map<KernelBackend, Map<string, UploadedTables>>>();

function disposeUploads(table: RopeTable): void {
  const perBackend = uploads.get(table);
  if (perBackend === undefined) return;
  for (const perKind of perBackend.values()) for (const uploaded of perKind.values()) tf.dispose([...uploaded.tensors]);
  uploads.delete(table);
}

tableCache.onEvicted(disposeUploads);

/**
 * Frees every float32 table tensor uploaded by {@link applyRope} on every backend and empties the
 * table cache. A table still held is uploaded again on its next use; `ropeTable` builds new ones.
 */
export function clearRopeCache(): void {
  for (const table of [...uploads.keys()]) disposeUploads(table);
  tableCache.clear();
}

/** Channel distance between the two members of a pair. */
function pairWidth(table: RopeTable): number {
  return table.layout === 'packed' ? table.headDim / 2 : 1;
}

function isFirstOfPair(channel: number, table: RopeTable): boolean {
  return table.layout === 'packed' ? channel < table.headDim / 2 : channel % 2 === 0;
}

function buildTables(table: RopeTable, formulation: Formulation, direction: Direction): tf.Tensor[] {
  const { tokens, heads, headDim, cos, sin } = table;
  const size = tokens * heads * headDim;
  const cos32 = new Float32Array(size);
  const first32 = new Float32Array(size);
  const second32 = new Float32Array(size);
  for (let c = 0; c < size; c++) {
    const value = direction * sin[c]!;
    cos32[c] = cos[c]!;
    if (isFirstOfPair(c % headDim, table)) first32[c] = -value;
    else second32[c] = value;
  }
  const sins = formulation === 'shift' ? [first32, second32] : [first32.map((value, index) => value + second32[index]!)];
  // cos is the same both ways: only the forward entry holds it
  const arrays = direction === 1 ? [cos32, ...sins] : sins;
  return arrays.map((values) => tf.tensor(values, [tokens, heads, headDim], 'float32'));
}

function uploadedTables(table: RopeTable, formulation: Formulation, direction: Direction): readonly tf.Tensor[] {
  const backend = tf.backend();
  let perBackend = uploads.get(table);
  if (perBackend === undefined) {
    perBackend = new Map();
    uploads.set(table, perBackend);
  }
  let perKind = perBackend.get(backend);
  if (perKind === undefined) {
    perKind = new Map();
    perBackend.set(backend, perKind);
  }
  const kindKey = `${formulation}:${direction}`;
  const cached = perKind.get(kindKey);
  if (cached?.tensors.every((tensor) => !tensor.isDisposed)) return cached.tensors;
  if (cached !== undefined) tf.dispose([...cached.tensors]);
  // keep: a first call inside someone's tf.tidy must not have the cache freed at the end of it.
  const tensors = buildTables(table, formulation, direction).map((tensor) => tf.keep(tensor));
  perKind.set(kindKey, { tensors });
  return tensors;
}

function rotate(x: tf.Tensor4D, table: RopeTable, direction: Direction): tf.Tensor4D {
  const [batch, tokens, heads, headDim] = x.shape;
  const size = batch * tokens * heads * headDim;
  const formulation: Formulation = table.layout === 'packed' ? 'swap' : 'shift';
  const [cos, ...forwardSins] = uploadedTables(table, formulation, 1) as [tf.Tensor, ...tf.Tensor[]];
  const sins = direction === 1 ? forwardSins : uploadedTables(table, formulation, -1);
  if (formulation === 'swap') {
    const [sinSigned] = sins as [tf.Tensor];
    const rows = size / headDim;
    const half = headDim / 2;
    const pairs = tf.reshape(x, [rows, 2, half]);
    const swapped = tf.concat([tf.slice(pairs, [0, 1, 0], [rows, 1, half]), tf.slice(pairs, [0, 0, 0], [rows, 1, half])], 1);
    return tf.add(tf.mul(x, cos), tf.mul(tf.reshape(swapped, x.shape), sinSigned));
  }
  const [sinFirst, sinSecond] = sins as [tf.Tensor, tf.Tensor];
  const width = pairWidth(table);
  const flat = tf.reshape(x, [size]);
  const up = tf.concat([tf.slice(flat, width, size - width), tf.slice(flat, 0, width)]);
  const down = tf.concat([tf.slice(flat, size - width, width), tf.slice(flat, 0, size - width)]);
  return tf.add(tf.add(tf.mul(x, cos), tf.mul(tf.reshape(up, x.shape), sinFirst)), tf.mul(tf.reshape(down, x.shape), sinSecond));
}

/*
 * A rotation is orthogonal: its gradient is the rotation by the negated angles, the same kernel
 * with negated sin tables. Saying so (rather than differentiating slice and concat, whose
 * gradients pad and split) keeps the backward pass as cheap as the forward one and saves nothing
 * for it.
 */
function rotateDifferentiable(x: tf.Tensor4D, table: RopeTable): tf.Tensor4D {
  if (fusedRopeAvailable()) {
    const [cos, sinSigned] = uploadedTables(table, 'swap', 1) as [tf.Tensor, tf.Tensor];
    const width = pairWidth(table);
    const fused = tf.customGrad((input) => ({
      value: fusedRotation(input as tf.Tensor4D, cos, sinSigned, width, 1, table.heads),
      gradFunc: (dy) => fusedRotation(dy as tf.Tensor4D, cos, sinSigned, width, -1, table.heads),
    }));
    return fused(x) as tf.Tensor4D;
  }
  const rotation = tf.customGrad((input) => ({
    value: rotate(input as tf.Tensor4D, table, 1),
    gradFunc: (dy) => rotate(dy as tf.Tensor4D, table, -1),
  }));
  return rotation(x) as tf.Tensor4D;
}

/** `[null, 24, 2, 16]`: unknown dimensions print as null. */
export function formatShape(shape: readonly (number | null | undefined)[]): string {
  return `[${shape.map((size) => String(size ?? null)).join(', ')}]`;
}

/**
 * Checks that `x` fits a table: rank 4 `[batch, tokens, heads, headDim]`, float32, the table's head
 * dim and token count.
 *
 * @param shape - the shape of x (entries may be null for unknown batch sizes).
 * @param table - the table to apply.
 * @param where - the calling function, for the message.
 * @param allowPadding - whether more tokens than the table has are allowed.
 * @param shown - the shape to print in messages (the caller's own, when it reshaped).
 * @throws {RangeError} when x does not fit the table, naming the mismatch.
 */
export function checkRopeInputShape(
  shape: readonly (number | null)[],
  table: RopeTable,
  where: string,
  allowPadding = false,
  shown: readonly (number | null)[] = shape,
): void {
  const described = formatShape(shown);
  if (shape.length !== 4) {
    throw new RangeError(`${where}: x has shape ${described} (rank ${shape.length}); expected rank 4 [batch, tokens, heads, headDim]`);
  }
  const tokens = shape[1];
  const headDim = shape[3];
  if (headDim !== null && headDim !== table.headDim) {
    throw new RangeError(`${where}: x has head dim ${headDim} (shape ${described}); the table was built for headDim ${table.headDim}`);
  }
  const heads = shape[2];
  if (table.heads > 1 && heads !== null && heads !== undefined && heads !== table.heads) {
    throw new RangeError(`${where}: x has ${heads} heads (shape ${described}); the table gives each of its ${table.heads} heads its own frequencies`);
  }
  if (tokens !== null && tokens !== undefined && (allowPadding ? tokens < table.tokens : tokens !== table.tokens)) {
    throw new RangeError(
      `${where}: x has ${tokens} tokens (shape ${described}); ${describeTokens(table)}${allowPadding ? ' and padding may only add tokens' : ''}`,
    );
  }
}

/** Where a table's token count comes from: `the grid [2, 3, 4] has 24 = 2·3·4 tokens`, or its segments' sum. */
function describeTokens(table: RopeTable): string {
  const given = (tokens: number) => `positions of ${tokens} token${tokens === 1 ? '' : 's'}`;
  const part = (segment: RopeTable['segments'][number]) =>
    segment.grid === null ? given(segment.tokens) : `grid [${segment.grid.join(', ')}] (${segment.grid.join('·')})`;
  if (table.segments.length === 1) {
    const [only] = table.segments as [RopeTable['segments'][number]];
    if (only.grid === null) return `the table has ${given(table.tokens)}`;
    return `the grid [${only.grid.join(', ')}] has ${table.tokens} = ${only.grid.join('·')} tokens`;
  }
  return `the segments have ${table.tokens} = ${table.segments.map((segment) => segment.tokens).join(' + ')} tokens (${table.segments.map(part).join(', ')})`;
}

/**
 * Rotates the channels of every head by its token's 3D position: `x·cos + rotate_half(x)·sin` over
 * contiguous channels in the packed layout, GPT-J pairs (2j, 2j+1) in the interleaved one.
 *
 * The table's float32 tensors are uploaded on first use per backend and cached (kept out of any
 * enclosing `tf.tidy`; freed by {@link clearRopeCache}). Differentiable: the gradient to `x` is the
 * rotation by the negated angles (a `tf.customGrad`), as cheap as the forward pass.
 * On cpu, wasm and webgpu it is one fused kernel each way (registered on first use); on any other
 * backend it is composed of reshape, slice, concat, mul and add.
 *
 * @param x - `[batch, tokens, heads, headDim]` float32, tokens in the table's order (`s = (t·H + h)·W + w` on a grid, segments one after another).
 * @param table - from {@link ropeTable}; its layout must be the channel layout of `x`.
 * @param options - see {@link ApplyRopeOptions}.
 * @returns a new tensor of x's shape.
 * @throws {TypeError} when x is not a float32 tensor.
 * @throws {RangeError} when x is not rank 4, or its head dim, token count or (for a table per head) head count does not match the table.
 */
export function applyRope(x: tf.Tensor4D, table: RopeTable, options: ApplyRopeOptions = {}): tf.Tensor4D {
  if (!(x instanceof tf.Tensor)) throw new TypeError(`applyRope: x is ${String(x)}; expected a tf.Tensor`);
  if (x.dtype !== 'float32') throw new TypeError(`applyRope: x has dtype ${x.dtype}; expected float32`);
  const allowPadding = options.allowPadding ?? false;
  checkRopeInputShape(x.shape, table, 'applyRope', allowPadding);
  return tf.tidy(() => {
    const [batch, tokens, heads, headDim] = x.shape;
    if (tokens === table.tokens) return rotateDifferentiable(x, table);
    const grid = tf.slice(x, [0, 0, 0, 0], [batch, table.tokens, heads, headDim]);
    const padding = tf.slice(x, [0, table.tokens, 0, 0], [batch, tokens - table.tokens, heads, headDim]);
    return tf.concat([rotateDifferentiable(grid, table), padding], 1);
  });
}
