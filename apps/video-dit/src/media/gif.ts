import { createRequire } from 'node:module';
import { blitFrame, type ClipShape, checkClip, checkScale, defaultScale } from './pixels.js';
import { writeFileAtomic } from './write-file.js';

// gifenc has no `exports` map: Node loads its CommonJS build (functions on the default export) while
// bundlers pick its ESM build (GIFEncoder as the default). Requiring it gives one shape everywhere.
const gifenc = createRequire(import.meta.url)('gifenc') as typeof import('gifenc');

/** Options of {@link writeGif}. */
export interface GifOptions {
  /** Nearest-neighbour upscaling factor; default: about 192 pixels on the longer side. */
  scale?: number;
  /** Time each frame shows, milliseconds (default 125). */
  delayMs?: number;
}

/**
 * Encodes a clip as a looping animated GIF (one palette of up to 256 colours for all frames).
 * @param frames - [T, H, W, 3] row-major in [-1, 1]
 * @param shape - [T, H, W]
 * @param options - scale and frame delay
 * @returns the GIF file's bytes
 * @throws {RangeError} when the shape does not match or an option is out of range
 */
export function encodeGif(frames: Float32Array, shape: ClipShape, options: GifOptions = {}): Uint8Array {
  checkClip('frames', frames, shape);
  const scale = options.scale ?? defaultScale(shape);
  checkScale(scale);
  const delayMs = options.delayMs ?? 125;
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    throw new RangeError(`delayMs must be a finite number ≥ 0, got ${String(delayMs)}`);
  }
  const [T, H, W] = shape;
  // Palette from the unscaled clip: upscaling adds no colours.
  const all = new Uint8Array(T * H * W * 4);
  for (let t = 0; t < T; t++) blitFrame(all, W, 0, t * H, frames, shape, t, 1);
  const palette = gifenc.quantize(all, 256);
  const encoder = gifenc.GIFEncoder();
  const rgba = new Uint8Array(H * scale * W * scale * 4);
  for (let t = 0; t < T; t++) {
    blitFrame(rgba, W * scale, 0, 0, frames, shape, t, scale);
    const index = gifenc.applyPalette(rgba, palette);
    encoder.writeFrame(index, W * scale, H * scale, { palette, delay: delayMs, repeat: 0 });
  }
  encoder.finish();
  return encoder.bytes();
}

/**
 * Writes a clip as a looping animated GIF, upscaled by nearest neighbour so small clips stay sharp.
 * The file is written under a temporary name and renamed.
 * @param path - where to write (folders are created)
 * @param frames - [T, H, W, 3] row-major in [-1, 1]
 * @param shape - [T, H, W]
 * @param options - scale and frame delay
 * @returns when the file is in place
 * @throws {RangeError} when the shape does not match or an option is out of range
 */
export async function writeGif(
  path: string,
  frames: Float32Array,
  shape: ClipShape,
  options: GifOptions = {},
): Promise<void> {
  await writeFileAtomic(path, encodeGif(frames, shape, options));
}
