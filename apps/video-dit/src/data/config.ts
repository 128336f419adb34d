export type ShapeKind = 'square' | 'circle' | 'triangle' | 'cross';

/** Every shape the generator can draw. */
export const SHAPE_KINDS: readonly ShapeKind[] = ['square', 'circle', 'triangle', 'cross'];

/** What the procedural toy videos look like. Pixel units throughout; positions are object centres. */
export interface VideoDataConfig {
  frames: number;
  height: number;
  width: number;
  channels: 3;
  /** Objects per clip. */
  shapes: number;
  /** Kinds an object is drawn from, uniformly. */
  shapeKinds: ShapeKind[];
  /** Object size (side of its bounding box) in pixels: fixed, or drawn per object from [min, max]. */
  size: number | [min: number, max: number];
  /** Speed in pixels per frame; each object's speed is drawn from [maxSpeed / 2, maxSpeed]. */
  maxSpeed: number;
  background: 'plain' | 'textured';
  seed: number;
}

/** The easy default: 8 frames of 16×16, one square of fixed size on a plain background. */
export const DEFAULT_VIDEO_DATA: Readonly<VideoDataConfig> = Object.freeze<VideoDataConfig>({
  frames: 8,
  height: 16,
  width: 16,
  channels: 3,
  shapes: 1,
  shapeKinds: ['square'],
  size: 6,
  maxSpeed: 1.5,
  background: 'plain',
  seed: 0,
});

/**
 * Fills the defaults and validates.
 * @param overrides - fields that differ from {@link DEFAULT_VIDEO_DATA}
 * @returns a complete, validated config (a fresh object)
 * @throws {RangeError|TypeError} naming the first bad field, its value and what is allowed
 */
export function videoDataConfig(overrides: Partial<VideoDataConfig> = {}): VideoDataConfig {
  const config: VideoDataConfig = {
    ...DEFAULT_VIDEO_DATA,
    shapeKinds: [...DEFAULT_VIDEO_DATA.shapeKinds],
    ...overrides,
  };
  validateVideoDataConfig(config);
  return config;
}

function positiveInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
}

/**
 * Checks a config the generator and the quality score rely on.
 * @param config - the config to check
 * @throws {RangeError|TypeError} naming the first bad field, its value and what is allowed
 */
export function validateVideoDataConfig(config: VideoDataConfig): void {
  positiveInteger('frames', config.frames);
  positiveInteger('height', config.height);
  positiveInteger('width', config.width);
  positiveInteger('shapes', config.shapes);
  if (config.channels !== 3) {
    throw new RangeError(`channels must be 3 (RGB), got ${String(config.channels)}`);
  }
  if (!Array.isArray(config.shapeKinds) || config.shapeKinds.length === 0) {
    throw new TypeError(
      `shapeKinds must be a non-empty array of ${SHAPE_KINDS.join(', ')}, got ${JSON.stringify(config.shapeKinds)}`,
    );
  }
  for (const kind of config.shapeKinds) {
    if (!SHAPE_KINDS.includes(kind)) {
      throw new RangeError(`shapeKinds contains '${String(kind)}'; allowed: ${SHAPE_KINDS.join(', ')}`);
    }
  }
  const [minSize, maxSize] = sizeRange(config);
  const limit = Math.min(config.height, config.width);
  if (!(minSize >= 2 && minSize <= maxSize && maxSize <= limit)) {
    throw new RangeError(
      `size must be a number or [min, max] with 2 ≤ min ≤ max ≤ min(height, width) = ${limit}, got ${JSON.stringify(config.size)}`,
    );
  }
  if (typeof config.maxSpeed !== 'number' || !Number.isFinite(config.maxSpeed) || config.maxSpeed < 0) {
    throw new RangeError(`maxSpeed must be a finite number ≥ 0 (pixels per frame), got ${String(config.maxSpeed)}`);
  }
  if (config.background !== 'plain' && config.background !== 'textured') {
    throw new RangeError(`background must be 'plain' or 'textured', got ${String(config.background)}`);
  }
  if (!Number.isInteger(config.seed) || config.seed < 0 || config.seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in [0, 2^32), got ${String(config.seed)}`);
  }
}

/**
 * @param config - a data config
 * @returns the [min, max] object size in pixels
 */
export function sizeRange(config: Pick<VideoDataConfig, 'size'>): [min: number, max: number] {
  const { size } = config;
  if (typeof size === 'number') return [size, size];
  if (Array.isArray(size) && size.length === 2) return [size[0], size[1]];
  return [Number.NaN, Number.NaN];
}
