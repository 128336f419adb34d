import { PLAIN_BACKGROUND, TEXTURE_MAX, type VideoDataConfig } from '../data/index.js';
import type { ClipShape } from '../media/index.js';

/** A pixel belongs to an object when it stands this far out of the background (in [-1, 1] units). */
export const OBJECT_THRESHOLD = 0.5;
/** Between this and OBJECT_THRESHOLD a pixel near an object is fringe: neither object nor background. */
export const FRINGE_THRESHOLD = 0.25;
/** Neighbouring object pixels whose colours differ by more than this belong to different objects. */
const SAME_COLOR = 0.3;

/** A connected patch of object pixels in one frame. */
export interface Component {
  area: number;
  /** Bounding-box centre, pixels (x right, y down): what the generator's positions are. */
  x: number;
  y: number;
  /** Half the bounding box's width and height. */
  halfWidth: number;
  halfHeight: number;
  color: [number, number, number];
}

/**
 * How far each pixel stands out of the background, [T, H, W]. A plain background has one known
 * colour; a textured one varies but stays below TEXTURE_MAX in every channel while every object
 * colour has a channel far above it, so there it is how far the brightest channel rises above that.
 */
export function standOut(clip: Float32Array, shape: ClipShape, data: VideoDataConfig): Float32Array {
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
export function components(clip: Float32Array, distance: Float32Array, shape: ClipShape, t: number): Component[] {
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

/** Follows `count` objects through the frames: each track takes the nearest component of its colour. */
export function track(frames: Component[][], count: number): (Component | undefined)[][] {
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
export function objectMask(frames: Component[][], tracked: Set<Component>, shape: ClipShape, margin: number): Uint8Array {
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
