import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';
import { applyRope, checkRopeInputShape, formatShape } from './apply.js';
import type { RopeTableOptions } from './options.js';
import { type RopeTable, ropeTable } from './table.js';

/** tfjs-layers does not export `LayerArgs`; this is it. */
export type LayerArgs = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;

/** Constructor arguments of {@link Rope3D}: the table's options plus the usual layer arguments. */
export type Rope3DArgs = RopeTableOptions & LayerArgs;

type Shape = (number | null)[];
type Kwargs = Parameters<layers.Layer['call']>[1];

// a Record over every table option: adding an option without listing it here does not compile
// (the layer would hand it to tfjs-layers and not save it)
const TABLE_KEY_SET: Record<keyof RopeTableOptions, true> = {
  grid: true,
  headDim: true,
  axisDims: true,
  preset: true,
  theta: true,
  thetaRescaleFactor: true,
  interpolationFactor: true,
  offset: true,
  layout: true,
  riflex: true,
  ntk: true,
  maxPositions: true,
  positions: true,
  segments: true,
  mrope: true,
  yarn: true,
  dype: true,
  heads: true,
};
const TABLE_KEYS: readonly string[] = Object.keys(TABLE_KEY_SET);

/** Typed-array positions as plain numbers: JSON would write a Float64Array as an object. */
function plainPositions(positions: unknown): unknown {
  return ArrayBuffer.isView(positions) ? Array.from(positions as unknown as ArrayLike<number>) : positions;
}

function splitArgs(args: Rope3DArgs): { table: RopeTableOptions; layer: LayerArgs } {
  const table: Record<string, unknown> = {};
  const layer: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined) continue;
    if (TABLE_KEYS.includes(key)) table[key] = value;
    else layer[key] = value;
  }
  if (table.positions !== undefined) table.positions = plainPositions(table.positions);
  if (Array.isArray(table.segments)) {
    table.segments = table.segments.map((segment: unknown) =>
      typeof segment === 'object' && segment !== null && 'positions' in segment ? { ...segment, positions: plainPositions(segment.positions) } : segment,
    );
  }
  // plain JSON: a nested undefined (riflex.scale) would be saved as null and fail to load
  return { table: JSON.parse(JSON.stringify(table)) as RopeTableOptions, layer: layer as LayerArgs };
}

/*
 * Without a name, tfjs-layers would name the layer after getClassName() and a counter it keeps to
 * itself: 'flowdit._rope3d_flowdit.Rope3D1'. Keras' form reads better in summaries and getLayer().
 */
let unnamedLayers = 0;

/** `rope3d`, then `rope3d_1`, `rope3d_2`, …: one per layer created without a name. */
function defaultLayerName(): string {
  const name = unnamedLayers === 0 ? 'rope3d' : `rope3d_${unnamedLayers}`;
  unnamedLayers += 1;
  return name;
}

/**
 * 3D rotary position embedding as a tfjs-layers layer: rotates q or k of video tokens by their
 * `(t, h, w)` positions with a cached table (see {@link ropeTable} and {@link applyRope}).
 *
 * Input `[batch, tokens, heads, headDim]`, or `[batch, tokens, heads·headDim]` straight from a
 * Dense projection (split into heads of `headDim` and merged back). Output: the same shape.
 * No weights; gradients flow to the input. Registered with tfjs serialization as `flowdit.Rope3D`
 * when `@flowdit/rope3d/layer` is imported: import it before `tf.loadLayersModel`.
 *
 * @example
 * const q = new Rope3D({ grid: [8, 16, 16], headDim: 64, preset: 'wan' }).apply(dense.apply(x));
 */
export class Rope3D extends layers.Layer {
  /** @nocollapse */
  static readonly className = 'flowdit.Rope3D';
  /** The table this layer applies. */
  readonly table: RopeTable;
  private readonly tableOptions: RopeTableOptions;

  /**
   * @param args - table options ({@link RopeTableOptions}) and layer arguments (name, inputShape, …);
   *   without a name the layer is called `rope3d`, `rope3d_1`, `rope3d_2`, … in order of creation.
   * @throws {TypeError} when args is not an object, or a triple option is not an array of 3 (see {@link ropeTable}).
   * @throws {RangeError} when a table option is invalid (see {@link ropeTable}).
   */
  constructor(args: Rope3DArgs) {
    if (typeof args !== 'object' || args === null) {
      throw new TypeError(`Rope3D: args is ${String(args)}; pass an object with headDim and one of grid, positions or segments`);
    }
    const { table, layer } = splitArgs(args);
    // built first, so that a layer with bad options takes no default name
    const built = ropeTable(table);
    super({ ...layer, name: layer.name ?? defaultLayerName() });
    this.table = built;
    this.tableOptions = table;
  }

  private headsOf(inputShape: Shape): number | null {
    const where = `Rope3D '${this.name}'`;
    if (inputShape.length === 3) {
      const channels = inputShape[2] ?? null;
      if (channels !== null && channels % this.table.headDim !== 0) {
        throw new RangeError(
          `${where}: input has ${channels} channels (shape ${formatShape(inputShape)}); a rank-3 input [batch, tokens, heads·headDim] needs a multiple of headDim ${this.table.headDim}`,
        );
      }
      checkRopeInputShape([inputShape[0] ?? null, inputShape[1] ?? null, null, this.table.headDim], this.table, where, false, inputShape);
      return channels === null ? null : channels / this.table.headDim;
    }
    if (inputShape.length !== 4) {
      throw new RangeError(
        `${where}: input has shape ${formatShape(inputShape)} (rank ${inputShape.length}); expected [batch, tokens, heads, headDim] or [batch, tokens, heads·headDim]`,
      );
    }
    checkRopeInputShape(inputShape, this.table, where);
    return inputShape[2] ?? null;
  }

  private singleShape(inputShape: Shape | Shape[]): Shape {
    const shapes = inputShape as Shape | Shape[];
    if (shapes.length > 0 && Array.isArray(shapes[0])) {
      if (shapes.length !== 1) throw new RangeError(`Rope3D '${this.name}': got ${shapes.length} inputs; expected exactly one tensor`);
      return shapes[0] as Shape;
    }
    return shapes as Shape;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const shape = this.singleShape(inputShape);
    this.headsOf(shape);
    return shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      if (Array.isArray(inputs) && inputs.length !== 1) {
        throw new RangeError(`Rope3D '${this.name}': got ${inputs.length} inputs; expected exactly one tensor`);
      }
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const heads = this.headsOf(x.shape);
      if (x.rank === 4) return applyRope(x as tf.Tensor4D, this.table);
      const [batch, tokens, channels] = x.shape as [number, number, number];
      const split = tf.reshape(x, [batch, tokens, heads!, this.table.headDim]) as tf.Tensor4D;
      return tf.reshape(applyRope(split, this.table), [batch, tokens, channels]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...(this.tableOptions as unknown as tf.serialization.ConfigDict), ...super.getConfig() };
  }
}

tf.serialization.registerClass(Rope3D);
