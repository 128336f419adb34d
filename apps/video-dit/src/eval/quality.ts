import { insideShape, type ShapeKind, sizeRange, type VideoDataConfig } from '../data/index.js';
import { type ClipShape, checkClip } from '../media/index.js';
import { fitBouncingPath } from './bouncing-path.js';
import { type Component, components, FRINGE_THRESHOLD, OBJECT_THRESHOLD, objectMask, standOut, track } from './objects.js';

/**
 * What the score checks, each from what the generator guarantees:
 * - presence: every frame shows as many objects as the config asks for;
 * - size: each object's area is one that a shape of the allowed kinds and sizes can have;
 * - constancy: each object's area stays the same from frame to frame;
 * - motion: each object's path fits constant velocity with reflections off the walls;
 * - speed: that velocity lies in the generator's range [maxSpeed / 2, maxSpeed];
 * - sharpness: around the objects, pixels are background or object, few in between;
 * - background: away from the objects, nothing stands out and nothing changes over time.
 */
export const QUALITY_PARTS = [
  'presence',
  'size',
  'constancy',
  'motion',
  'speed',
  'sharpness',
  'background',
] as const;
/** One of {@link QUALITY_PARTS}. */
export type QualityPart = (typeof QUALITY_PARTS)[number];

/** A quality score in [0, 1] and the parts it is the product of (each in [0, 1]). */
export interface QualityResult {
  score: number;
  parts: Record<QualityPart, number>;
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1] as number;
}

/**
 * The pixel areas the generator's shapes can have: the smallest and largest over the allowed kinds
 * and sizes at sub-pixel offsets, and the smallest ratio min/max for one shape as it moves.
 */
function expectedAreas(data: VideoDataConfig): { min: number; max: number; steadiness: number } {
  const [minSize, maxSize] = sizeRange(data);
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  let steadiness = 1;
  const steps = 5;
  for (const kind of new Set<ShapeKind>(data.shapeKinds)) {
    for (const size of new Set([minSize, maxSize])) {
      const half = size / 2;
      let low = Number.POSITIVE_INFINITY;
      let high = 0;
      for (let i = 0; i < steps; i++) {
        for (let j = 0; j < steps; j++) {
          const cx = half + i / steps;
          const cy = half + j / steps;
          let area = 0;
          for (let y = 0; y < Math.ceil(size) + 2; y++) {
            for (let x = 0; x < Math.ceil(size) + 2; x++) {
              if (insideShape(kind, x + 0.5 - cx, y + 0.5 - cy, half)) area++;
            }
          }
          low = Math.min(low, area);
          high = Math.max(high, area);
        }
      }
      min = Math.min(min, low);
      max = Math.max(max, high);
      steadiness = Math.min(steadiness, low / high);
    }
  }
  return { min, max, steadiness };
}

type ExpectedAreas = ReturnType<typeof expectedAreas>;
type Track = (Component | undefined)[];

/** presence: how close each frame's object count is to the config's. */
function presenceScore(frames: Component[][], data: VideoDataConfig): number {
  return mean(frames.map((found) => clamp01(1 - Math.abs(found.length - data.shapes) / data.shapes)));
}

/** size, constancy, motion and speed: what each object's track says about it, averaged over the objects. */
function trackScores(
  tracks: Track[],
  shape: ClipShape,
  data: VideoDataConfig,
  areas: ExpectedAreas,
): Pick<Record<QualityPart, number>, 'size' | 'constancy' | 'motion' | 'speed'> {
  const [T, H, W] = shape;
  const sizeScores: number[] = [];
  const constancyScores: number[] = [];
  const motionScores: number[] = [];
  const speedScores: number[] = [];
  for (const path of tracks) {
    const seen = path.flatMap((c, t) => (c === undefined ? [] : [{ c, t }]));
    for (const { c } of seen) {
      // Log-distance outside the possible range: twice too large scores 0.03.
      const outside = Math.max(0, Math.log((0.9 * areas.min) / c.area), Math.log(c.area / (1.1 * areas.max)));
      sizeScores.push(Math.exp(-5 * outside));
    }
    if (seen.length < 3) {
      constancyScores.push(0);
      motionScores.push(0);
      speedScores.push(0);
      continue;
    }
    // Share of frames whose area is one the same shape can have elsewhere in the clip.
    const typical = median(seen.map(({ c }) => c.area));
    const band = 0.95 * areas.steadiness;
    constancyScores.push(mean(seen.map(({ c }) => (c.area >= band * typical && c.area * band <= typical ? 1 : 0))));

    const times = seen.map(({ t }) => t);
    const halfWidth = median(seen.map(({ c }) => c.halfWidth));
    const halfHeight = median(seen.map(({ c }) => c.halfHeight));
    const fx = fitBouncingPath(
      times,
      seen.map(({ c }) => c.x),
      halfWidth,
      W - halfWidth,
      data.maxSpeed,
    );
    const fy = fitBouncingPath(
      times,
      seen.map(({ c }) => c.y),
      halfHeight,
      H - halfHeight,
      data.maxSpeed,
    );
    // Share of frames on the fitted path, rescaled so that half the frames or fewer score 0.
    const onPath = mean(times.map((_, k) => (fx.inliers[k] && fy.inliers[k] ? 1 : 0)));
    motionScores.push(clamp01((onPath - 0.5) / 0.4) * (seen.length / T));
    const speed = Math.hypot(fx.velocity, fy.velocity);
    const slack = 0.1 * data.maxSpeed + 0.05;
    const outside = Math.max(0, 0.5 * data.maxSpeed - slack - speed, speed - data.maxSpeed - slack);
    speedScores.push(clamp01(1 - outside / (0.25 * data.maxSpeed + 0.05)));
  }
  return { size: mean(sizeScores), constancy: mean(constancyScores), motion: mean(motionScores), speed: mean(speedScores) };
}

/** sharpness and background: the pixels around the tracked objects and away from them. */
function pixelScores(
  clip: Float32Array,
  distance: Float32Array,
  frames: Component[][],
  tracks: Track[],
  shape: ClipShape,
): Pick<Record<QualityPart, number>, 'sharpness' | 'background'> {
  const [T, H, W] = shape;
  const tracked = new Set(tracks.flat().filter((c) => c !== undefined));
  const inside = objectMask(frames, tracked, shape, 0);
  const near = objectMask(frames, tracked, shape, 2);
  let objectPixels = 0;
  let fringePixels = 0;
  let strayDistance = 0;
  let flicker = 0;
  let backgroundPixels = 0;
  for (let i = 0; i < T * H * W; i++) {
    const d = distance[i] as number;
    if (inside[i] === 1 && d > OBJECT_THRESHOLD) objectPixels++;
    else if (near[i] === 1 && d > FRINGE_THRESHOLD) fringePixels++;
    if (near[i] === 0) {
      backgroundPixels++;
      strayDistance += d;
      // The generator's background never changes; compare with the next frame where it is background too.
      const next = i + H * W;
      if (next < T * H * W && near[next] === 0) {
        for (let c = 0; c < 3; c++) flicker += Math.abs((clip[next * 3 + c] as number) - (clip[i * 3 + c] as number)) / 3;
      }
    }
  }
  const sharpness = objectPixels === 0 ? 0 : clamp01((objectPixels / (objectPixels + fringePixels) - 0.6) / 0.35);
  // Up to 0.05 of stray brightness or flicker per pixel (faint noise) is free; 0.35 scores 0.
  const untidiness = backgroundPixels === 0 ? 1 : (strayDistance + flicker) / backgroundPixels;
  return { sharpness, background: clamp01(1 - Math.max(0, untidiness - 0.05) / 0.3) };
}

/**
 * Scores how much a clip looks like the generator's data, the same way for real and generated
 * clips: the product of the parts in {@link QUALITY_PARTS}, so a clip scores high only when it
 * passes every check. Real clips with one object score 1; objects that overlap lower it a little.
 * @param clip - [T, H, W, 3] row-major in [-1, 1].
 * @param shape - [T, H, W].
 * @param data - the (validated) config the clip is meant to follow: kinds, sizes, speed, background, object count.
 * @returns the score in [0, 1] and each part in [0, 1].
 * @throws {RangeError} when the clip does not match the shape.
 */
export function qualityScore(clip: Float32Array, shape: ClipShape, data: VideoDataConfig): QualityResult {
  checkClip('clip', clip, shape);
  const distance = standOut(clip, shape, data);
  const areas = expectedAreas(data);
  // Specks far smaller than any shape are not objects; they count against the background instead.
  const frames = Array.from({ length: shape[0] }, (_, t) =>
    components(clip, distance, shape, t).filter((c) => c.area >= areas.min / 3),
  );
  const tracks = track(frames, data.shapes);
  const parts: Record<QualityPart, number> = {
    presence: presenceScore(frames, data),
    ...trackScores(tracks, shape, data, areas),
    ...pixelScores(clip, distance, frames, tracks, shape),
  };
  return { score: QUALITY_PARTS.reduce((product, part) => product * parts[part], 1), parts };
}

/**
 * The mean quality of several clips: the mean score and the mean of each part.
 * @param clips - each [T, H, W, 3] row-major in [-1, 1]
 * @param shape - [T, H, W], the same for every clip
 * @param data - the config the clips are meant to follow
 * @returns the mean score and the mean parts, all in [0, 1]
 * @throws {RangeError} when there is no clip, a clip does not match the shape or the config is invalid
 */
export function meanQuality(clips: Float32Array[], shape: ClipShape, data: VideoDataConfig): QualityResult {
  if (clips.length === 0) throw new RangeError('clips must hold at least one clip');
  const results = clips.map((clip) => qualityScore(clip, shape, data));
  const parts = Object.fromEntries(
    QUALITY_PARTS.map((part) => [part, mean(results.map((r) => r.parts[part]))]),
  ) as Record<QualityPart, number>;
  return { score: mean(results.map((r) => r.score)), parts };
}
