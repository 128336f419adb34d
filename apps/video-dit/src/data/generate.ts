import { createRng, type Rng } from '@flowdit/timestep-shift';
import { type ShapeKind, sizeRange, type VideoDataConfig } from './config.js';
import { insideShape, OBJECT_PALETTE, PLAIN_BACKGROUND, TEXTURE_MAX } from './shapes.js';

/** One object's path through a clip. */
export interface ObjectTrack {
  kind: ShapeKind;
  /** RGB in [-1, 1]. */
  color: [number, number, number];
  /** Side of the bounding box, pixels. */
  size: number;
  /** Centre per frame, pixels from the top-left corner (x right, y down). */
  positions: [x: number, y: number][];
}

/** A generated clip and the ground truth that made it. */
export interface VideoClip {
  /** [T, H, W, 3] row-major, values in [-1, 1]. */
  pixels: Float32Array;
  objects: ObjectTrack[];
}

/** Validation clips use indices from here on; training indices stay below it. */
export const VALIDATION_INDEX_OFFSET = 2 ** 30;

const MAX_INDEX = 2 ** 31;

/** A 32-bit seed for clip `index` of dataset `seed` (murmur3's finaliser over both). */
function clipSeed(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Moves a coordinate by one step, reflecting off the walls at `low` and `high`. */
function bounce(position: number, velocity: number, low: number, high: number): [number, number] {
  if (high <= low) return [low, 0];
  let p = position + velocity;
  let v = velocity;
  while (p < low || p > high) {
    p = p < low ? 2 * low - p : 2 * high - p;
    v = -v;
  }
  return [p, v];
}

function paintBackground(config: VideoDataConfig, rng: Rng): Float32Array {
  const { height: H, width: W } = config;
  const background = new Float32Array(H * W * 3);
  if (config.background === 'plain') {
    const [r, g, b] = PLAIN_BACKGROUND;
    for (let o = 0; o < H * W * 3; o += 3) {
      background[o] = r;
      background[o + 1] = g;
      background[o + 2] = b;
    }
    return background;
  }
  // Dark base colour, soft diagonal stripes and a little per-pixel grain; static over time.
  const amplitude = 0.16;
  const base = [0, 1, 2].map(() => -0.95 + rng.uniform() * (TEXTURE_MAX + 0.95 - amplitude));
  const angle = rng.uniform() * Math.PI;
  const period = 4 + rng.uniform() * Math.max(4, Math.min(H, W) / 2);
  const kx = (Math.cos(angle) * 2 * Math.PI) / period;
  const ky = (Math.sin(angle) * 2 * Math.PI) / period;
  const phase = rng.uniform() * 2 * Math.PI;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const stripe = 0.5 + 0.5 * Math.sin(kx * x + ky * y + phase);
      const grain = rng.uniform();
      const value = amplitude * (0.7 * stripe + 0.3 * grain);
      const o = (y * W + x) * 3;
      for (let c = 0; c < 3; c++) background[o + c] = (base[c] as number) + value;
    }
  }
  return background;
}

/**
 * Generates one clip: objects moving at constant velocity, bouncing off the walls.
 * @param config - the data config (validated: see {@link videoDataConfig})
 * @param index - which clip; the same (config.seed, index) always gives the same clip
 * @returns the pixels [T, H, W, 3] in [-1, 1] and each object's track
 * @throws {RangeError} when the index is invalid
 */
export function generateClip(config: VideoDataConfig, index: number): VideoClip {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_INDEX) {
    throw new RangeError(`index must be an integer in [0, 2^31), got ${String(index)}`);
  }
  const { frames: T, height: H, width: W } = config;
  const rng = createRng(clipSeed(config.seed, index));
  const [minSize, maxSize] = sizeRange(config);

  const objects: ObjectTrack[] = [];
  for (let k = 0; k < config.shapes; k++) {
    const kind = config.shapeKinds[Math.floor(rng.uniform() * config.shapeKinds.length)] ?? 'square';
    const color = OBJECT_PALETTE[Math.floor(rng.uniform() * OBJECT_PALETTE.length)] ?? [1, 1, 1];
    const size = minSize === maxSize ? minSize : Math.round(minSize + rng.uniform() * (maxSize - minSize));
    const half = size / 2;
    const speed = config.maxSpeed * (0.5 + 0.5 * rng.uniform());
    const heading = rng.uniform() * 2 * Math.PI;
    let vx = speed * Math.cos(heading);
    let vy = speed * Math.sin(heading);
    let x = half + rng.uniform() * (W - size);
    let y = half + rng.uniform() * (H - size);
    const positions: [number, number][] = [[x, y]];
    for (let t = 1; t < T; t++) {
      [x, vx] = bounce(x, vx, half, W - half);
      [y, vy] = bounce(y, vy, half, H - half);
      positions.push([x, y]);
    }
    objects.push({ kind, color: [color[0], color[1], color[2]], size, positions });
  }

  const background = paintBackground(config, rng);
  const frameSize = H * W * 3;
  const pixels = new Float32Array(T * frameSize);
  for (let t = 0; t < T; t++) {
    const frameOffset = t * frameSize;
    pixels.set(background, frameOffset);
    for (const object of objects) {
      const [cx, cy] = object.positions[t] as [number, number];
      const [r, g, b] = object.color;
      const half = object.size / 2;
      // Pixel (i, j) has its centre at (j + 0.5, i + 0.5).
      const x0 = Math.max(0, Math.floor(cx - half));
      const x1 = Math.min(W - 1, Math.ceil(cx + half));
      const y0 = Math.max(0, Math.floor(cy - half));
      const y1 = Math.min(H - 1, Math.ceil(cy + half));
      for (let i = y0; i <= y1; i++) {
        for (let j = x0; j <= x1; j++) {
          if (insideShape(object.kind, j + 0.5 - cx, i + 0.5 - cy, half)) {
            const o = frameOffset + (i * W + j) * 3;
            pixels[o] = r;
            pixels[o + 1] = g;
            pixels[o + 2] = b;
          }
        }
      }
    }
  }
  return { pixels, objects };
}

/**
 * The clip indices of a split. Training indices are [0, count); validation indices start at
 * {@link VALIDATION_INDEX_OFFSET}, so training never sees a validation clip.
 * @param split - 'train' or 'validation'
 * @param count - how many indices
 * @returns `count` clip indices for {@link generateClip} or {@link clipBatch}
 * @throws {RangeError} for an unknown split or a count outside [0, 2^30]
 */
export function datasetSplit(split: 'train' | 'validation', count: number): number[] {
  if (!Number.isInteger(count) || count < 0 || count > VALIDATION_INDEX_OFFSET) {
    throw new RangeError(`count must be an integer in [0, 2^30], got ${String(count)}`);
  }
  if (split !== 'train' && split !== 'validation') {
    throw new RangeError(`split must be 'train' or 'validation', got ${String(split)}`);
  }
  const start = split === 'train' ? 0 : VALIDATION_INDEX_OFFSET;
  return Array.from({ length: count }, (_, k) => start + k);
}

/**
 * Generates several clips into one batch.
 * @param config - the data config
 * @param indices - clip indices
 * @returns [B, T, H, W, 3] row-major in [-1, 1], clip b at offset b·T·H·W·3
 * @throws {RangeError} when an index is invalid
 */
export function clipBatch(config: VideoDataConfig, indices: number[]): Float32Array {
  const clipLength = config.frames * config.height * config.width * 3;
  const batch = new Float32Array(indices.length * clipLength);
  indices.forEach((index, b) => {
    batch.set(generateClip(config, index).pixels, b * clipLength);
  });
  return batch;
}
