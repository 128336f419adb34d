import {
  PLAIN_BACKGROUND,
  type ShapeKind,
  TEXTURE_MAX,
  type VideoDataConfig,
  insideShape,
  sizeRange,
  validateVideoDataConfig,
} from '../data/index.js';
import { type ClipShape, checkClip } from '../media/pixels.js';

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

/** A pixel belongs to an object when it stands this far out of the background (in [-1, 1] units). */
const OBJECT_THRESHOLD = 0.5;
/** Between this and OBJECT_THRESHOLD a pixel near an object is fringe: neither object nor background. */
const FRINGE_THRESHOLD = 0.25;
/** Neighbouring object pixels whose colours differ by more than this belong to different objects. */
const SAME_COLOR = 0.3;
/** A fitted path point within this many pixels of the measured one is an inlier. */
const INLIER_PIXELS = 1;

interface Component {
  area: number;
  /** Bounding-box centre, pixels (x right, y down): what the generator's positions are. */
  x: number;
  y: number;
  /** Half the bounding box's width and height. */
  halfWidth: number;
  halfHeight: number;
  color: [number, number, number];
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
 * How far each pixel stands out of the background, [T, H, W]. A plain background has one known
 * colour; a textured one varies but stays below TEXTURE_MAX in every channel while every object
 * colour has a channel far above it, so there it is how far the brightest channel rises above that.
 */
function standOut(clip: Float32Array, shape: ClipShape, data: VideoDataConfig): Float32Array {
  const [T, H, W] = shape;
  const distance = new Float32Array(T * H * W);
  for (let i = 0; i < T * H * W; i++) {
    let d = 0;
    for (let c = 0; c < 3; c++) {
      const value = clip[i * 3 + c] as number;
      const away = data.background === 'plain' ? Math.abs(value - (PLAIN_BACKGROUND[c] as number)) : value - TEXTURE_MAX;
      d = Math.max(d, away);
    }
    distance[i] = d;
  }
  return distance;
}

/** Components of frame t's object pixels: 8-connected neighbours of similar colour. */
function components(clip: Float32Array, distance: Float32Array, shape: ClipShape, t: number): Component[] {
  const [, H, W] = shape;
  const offset = t * H * W;
  const isObject = (p: number): boolean => (distance[offset + p] as number) > OBJECT_THRESHOLD;
  const similar = (p: number, q: number): boolean => {
    for (let c = 0; c < 3; c++) {
      if (Math.abs((clip[(offset + p) * 3 + c] as number) - (clip[(offset + q) * 3 + c] as number)) > SAME_COLOR) {
        return false;
      }
    }
    return true;
  };
  const seen = new Uint8Array(H * W);
  const stack: number[] = [];
  const found: Component[] = [];
  for (let start = 0; start < H * W; start++) {
    if (seen[start] === 1 || !isObject(start)) continue;
    seen[start] = 1;
    stack.push(start);
    let area = 0;
    let minX = W;
    let maxX = -1;
    let minY = H;
    let maxY = -1;
    let red = 0;
    let green = 0;
    let blue = 0;
    while (stack.length > 0) {
      const p = stack.pop() as number;
      const x = p % W;
      const y = (p - x) / W;
      area++;
      red += clip[(offset + p) * 3] as number;
      green += clip[(offset + p) * 3 + 1] as number;
      blue += clip[(offset + p) * 3 + 2] as number;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
      for (let ny = Math.max(0, y - 1); ny <= Math.min(H - 1, y + 1); ny++) {
        for (let nx = Math.max(0, x - 1); nx <= Math.min(W - 1, x + 1); nx++) {
          const q = ny * W + nx;
          if (seen[q] === 0 && isObject(q) && similar(p, q)) {
            seen[q] = 1;
            stack.push(q);
          }
        }
      }
    }
    found.push({
      area,
      x: (minX + maxX + 1) / 2,
      y: (minY + maxY + 1) / 2,
      halfWidth: (maxX - minX + 1) / 2,
      halfHeight: (maxY - minY + 1) / 2,
      color: [red / area, green / area, blue / area],
    });
  }
  return found;
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

/** Folds an unbounded coordinate into [low, high] the way an object reflects off two walls. */
function reflect(u: number, low: number, high: number): number {
  const span = high - low;
  if (span <= 0) return low;
  const m = (((u - low) % (2 * span)) + 2 * span) % (2 * span);
  return low + (m <= span ? m : 2 * span - m);
}

/**
 * Robust fit of x(t) = reflect(x0 + v·t) to one coordinate of a path: a grid over x0 and v, then a
 * finer one around the best; each point's squared residual is capped, so a few bad frames (an
 * occlusion, a tracking slip) do not drag the fit.
 * @returns the velocity and which frames the fit explains to within INLIER_PIXELS
 */
function fitBouncingPath(
  times: number[],
  values: number[],
  low: number,
  high: number,
  maxSpeed: number,
): { velocity: number; inliers: boolean[] } {
  const cap = (1.5 * INLIER_PIXELS) ** 2;
  const residual = (x0: number, v: number, k: number): number =>
    reflect(x0 + v * (times[k] as number), low, high) - (values[k] as number);
  const loss = (x0: number, v: number): number => {
    let sum = 0;
    for (let k = 0; k < times.length; k++) sum += Math.min(cap, residual(x0, v, k) ** 2);
    return sum;
  };
  let best = { x0: low, v: 0, loss: Number.POSITIVE_INFINITY };
  const search = (x0From: number, x0To: number, x0Steps: number, vFrom: number, vTo: number, vSteps: number): void => {
    for (let i = 0; i <= vSteps; i++) {
      const v = vFrom + ((vTo - vFrom) * i) / vSteps;
      for (let j = 0; j <= x0Steps; j++) {
        const x0 = x0From + ((x0To - x0From) * j) / x0Steps;
        const l = loss(x0, v);
        if (l < best.loss) best = { x0, v, loss: l };
      }
    }
  };
  const vLimit = Math.max(1.5 * maxSpeed, 1);
  const vStep = vLimit / 20;
  search(low, high, Math.max(1, Math.ceil((high - low) / 0.5)), -vLimit, vLimit, 40);
  search(best.x0 - 0.5, best.x0 + 0.5, 20, best.v - vStep, best.v + vStep, 20);
  return {
    velocity: best.v,
    inliers: times.map((_, k) => Math.abs(residual(best.x0, best.v, k)) <= INLIER_PIXELS),
  };
}

/** Follows `count` objects through the frames: each track takes the nearest component of its colour. */
function track(frames: Component[][], count: number): (Component | undefined)[][] {
  const tracks: (Component | undefined)[][] = Array.from({ length: count }, () => []);
  const last: (Component | undefined)[] = new Array(count).fill(undefined);
  const cost = (a: Component, b: Component): number =>
    Math.hypot(a.x - b.x, a.y - b.y) +
    10 * Math.max(...a.color.map((value, c) => Math.abs(value - (b.color[c] as number))));
  for (const found of frames) {
    const free = [...found].sort((a, b) => b.area - a.area);
    const assigned: (Component | undefined)[] = new Array(count).fill(undefined);
    for (let k = 0; k < count; k++) {
      const previous = last[k];
      if (previous === undefined || free.length === 0) continue;
      let nearest = 0;
      free.forEach((c, i) => {
        if (cost(c, previous) < cost(free[nearest] as Component, previous)) nearest = i;
      });
      assigned[k] = free.splice(nearest, 1)[0];
    }
    // Tracks not started yet take the largest components left.
    for (let k = 0; k < count; k++) {
      if (assigned[k] === undefined && last[k] === undefined && free.length > 0) assigned[k] = free.shift();
    }
    assigned.forEach((c, k) => {
      tracks[k]?.push(c);
      if (c !== undefined) last[k] = c;
    });
  }
  return tracks;
}

/** Marks each tracked object's bounding box, grown by `margin` pixels, in a [T, H, W] mask. */
function objectMask(frames: Component[][], tracked: Set<Component>, shape: ClipShape, margin: number): Uint8Array {
  const [T, H, W] = shape;
  const mask = new Uint8Array(T * H * W);
  frames.forEach((found, t) => {
    for (const c of found) {
      if (!tracked.has(c)) continue;
      const y0 = Math.max(0, Math.round(c.y - c.halfHeight) - margin);
      const y1 = Math.min(H, Math.round(c.y + c.halfHeight) + margin);
      const x0 = Math.max(0, Math.round(c.x - c.halfWidth) - margin);
      const x1 = Math.min(W, Math.round(c.x + c.halfWidth) + margin);
      for (let y = y0; y < y1; y++) mask.fill(1, (t * H + y) * W + x0, (t * H + y) * W + x1);
    }
  });
  return mask;
}

/**
 * Scores how much a clip looks like the generator's data, the same way for real and generated
 * clips: the product of the parts in {@link QUALITY_PARTS}, so a clip scores high only when it
 * passes every check. Real clips with one object score 1; objects that overlap lower it a little.
 * @param clip [T, H, W, 3] row-major in [-1, 1]
 * @param shape [T, H, W]
 * @param data the config the clip is meant to follow (kinds, sizes, speed, background, object count)
 * @returns the score in [0, 1] and each part in [0, 1]
 * @throws RangeError when the clip does not match the shape or the config is invalid
 */
export function qualityScore(clip: Float32Array, shape: ClipShape, data: VideoDataConfig): QualityResult {
  checkClip('clip', clip, shape);
  validateVideoDataConfig(data);
  const [T, H, W] = shape;
  const distance = standOut(clip, shape, data);
  const areas = expectedAreas(data);

  // Specks far smaller than any shape are not objects; they count against the background instead.
  const frames = Array.from({ length: T }, (_, t) =>
    components(clip, distance, shape, t).filter((c) => c.area >= areas.min / 3),
  );
  const presence = mean(frames.map((found) => clamp01(1 - Math.abs(found.length - data.shapes) / data.shapes)));

  const tracks = track(frames, data.shapes);
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
  const background = clamp01(1 - Math.max(0, untidiness - 0.05) / 0.3);

  const parts: Record<QualityPart, number> = {
    presence,
    size: mean(sizeScores),
    constancy: mean(constancyScores),
    motion: mean(motionScores),
    speed: mean(speedScores),
    sharpness,
    background,
  };
  return { score: QUALITY_PARTS.reduce((product, part) => product * parts[part], 1), parts };
}

/**
 * The mean quality of several clips: the mean score and the mean of each part.
 * @param clips each [T, H, W, 3] row-major in [-1, 1]
 * @param shape [T, H, W], the same for every clip
 * @param data the config the clips are meant to follow
 * @returns the mean score and the mean parts, all in [0, 1]
 * @throws RangeError when there is no clip, a clip does not match the shape or the config is invalid
 */
export function meanQuality(clips: Float32Array[], shape: ClipShape, data: VideoDataConfig): QualityResult {
  if (clips.length === 0) throw new RangeError('clips must hold at least one clip');
  const results = clips.map((clip) => qualityScore(clip, shape, data));
  const parts = Object.fromEntries(
    QUALITY_PARTS.map((part) => [part, mean(results.map((r) => r.parts[part]))]),
  ) as Record<QualityPart, number>;
  return { score: mean(results.map((r) => r.score)), parts };
}
