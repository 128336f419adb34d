/** [frames, height, width] of a clip whose pixels are [T, H, W, 3]. */
export type ClipShape = [frames: number, height: number, width: number];

/**
 * Checks that `pixels` holds a [T, H, W, 3] clip.
 * @param name - the argument's name for the error message
 * @param pixels - the values
 * @param shape - [T, H, W]
 * @throws {RangeError} when the shape is not three positive integers or the length does not match
 */
export function checkClip(name: string, pixels: Float32Array, shape: ClipShape): void {
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n > 0)) {
    throw new RangeError(`shape must be [frames, height, width] of positive integers, got ${JSON.stringify(shape)}`);
  }
  const expected = shape[0] * shape[1] * shape[2] * 3;
  if (pixels.length !== expected) {
    throw new RangeError(
      `${name} has ${pixels.length} values; shape ${JSON.stringify(shape)} with 3 channels needs ${expected}`,
    );
  }
}

/**
 * Checks an upscaling factor.
 * @param scale - the factor
 * @throws {RangeError} unless it is an integer in [1, 64]
 */
export function checkScale(scale: number): void {
  if (!Number.isInteger(scale) || scale < 1 || scale > 64) {
    throw new RangeError(`scale must be an integer in [1, 64], got ${String(scale)}`);
  }
}

/** Maps a value in [-1, 1] to a byte, clipping outside. */
export function toByte(value: number): number {
  const byte = Math.round((value + 1) * 127.5);
  return Math.max(0, Math.min(255, byte));
}

/**
 * Copies one frame into an RGBA image, upscaled by nearest neighbour.
 * @param target - RGBA bytes of the whole image
 * @param targetWidth - the image's width in pixels
 * @param left - column of the frame's top-left corner in the image
 * @param top - row of the frame's top-left corner in the image
 * @param pixels - a clip [T, H, W, 3] in [-1, 1]
 * @param shape - [T, H, W]
 * @param frame - which frame
 * @param scale - upscaling factor
 */
export function blitFrame(
  target: Uint8Array,
  targetWidth: number,
  left: number,
  top: number,
  pixels: Float32Array,
  shape: ClipShape,
  frame: number,
  scale: number,
): void {
  const [, H, W] = shape;
  const frameOffset = frame * H * W * 3;
  for (let y = 0; y < H * scale; y++) {
    const sourceRow = frameOffset + Math.floor(y / scale) * W * 3;
    let o = ((top + y) * targetWidth + left) * 4;
    for (let x = 0; x < W * scale; x++) {
      const s = sourceRow + Math.floor(x / scale) * 3;
      target[o] = toByte(pixels[s] as number);
      target[o + 1] = toByte(pixels[s + 1] as number);
      target[o + 2] = toByte(pixels[s + 2] as number);
      target[o + 3] = 255;
      o += 4;
    }
  }
}

/**
 * An upscaling factor that makes a frame about `target` pixels on its longer side.
 * @param shape - [T, H, W]
 * @param target - the wanted size in pixels
 * @returns an integer ≥ 1
 */
export function defaultScale(shape: ClipShape, target = 192): number {
  return Math.max(1, Math.min(64, Math.round(target / Math.max(shape[1], shape[2]))));
}
