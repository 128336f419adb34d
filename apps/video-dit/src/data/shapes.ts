import type { ShapeKind } from './config.js';

type Rgb = [number, number, number];

/** Object colours in [-1, 1]. Each has a channel ≥ 0.7 (in [-1, 1]) so it stands out from any background. */
export const OBJECT_PALETTE: readonly Rgb[] = [
  [0.9, -0.6, -0.6], // red
  [-0.6, 0.7, -0.4], // green
  [-0.5, -0.1, 1.0], // blue
  [0.9, 0.7, -0.6], // yellow
  [-0.6, 0.7, 0.8], // cyan
  [0.8, -0.4, 0.7], // magenta
  [1.0, 0.1, -0.8], // orange
  [0.9, 0.9, 0.9], // white
];

/** The plain background colour in [-1, 1]. */
export const PLAIN_BACKGROUND: Readonly<Rgb> = [-0.84, -0.84, -0.8];

/** A textured background stays below this value (in [-1, 1]) in every channel. */
export const TEXTURE_MAX = -0.3;

/**
 * Whether a point lies inside a shape centred at the origin.
 * @param kind - the shape
 * @param dx - x offset from the centre, pixels
 * @param dy - y offset from the centre (down), pixels
 * @param half - half the shape's size
 * @returns true inside or on the edge
 */
export function insideShape(kind: ShapeKind, dx: number, dy: number, half: number): boolean {
  const ax = Math.abs(dx);
  const ay = Math.abs(dy);
  if (ax > half || ay > half) return false;
  switch (kind) {
    case 'square':
      return true;
    case 'circle':
      return dx * dx + dy * dy <= half * half;
    case 'triangle':
      // Apex up: the half-width grows linearly from 0 at the top edge to `half` at the bottom edge.
      return ax <= (dy + half) / 2;
    case 'cross': {
      const arm = half / 3;
      return ax <= arm || ay <= arm;
    }
  }
}
