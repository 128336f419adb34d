import { createRng } from '@flowdit/timestep-shift';
import { describe, expect, test } from 'vitest';
import { generateClip, type VideoDataConfig, videoDataConfig } from '../data/index.js';
import { meanQuality, QUALITY_PARTS, qualityScore } from './quality.js';

type Shape = [number, number, number];
const shapeOf = (config: VideoDataConfig): Shape => [config.frames, config.height, config.width];
const realClips = (config: VideoDataConfig, count: number): Float32Array[] =>
  Array.from({ length: count }, (_, i) => generateClip(config, i).pixels);

/** Gaussian blur of every frame (separable, edges clamped): shapes become blobs. */
function blur(clip: Float32Array, [T, H, W]: Shape, sigma: number): Float32Array {
  const radius = Math.ceil(3 * sigma);
  const weights = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma ** 2)));
  const total = weights.reduce((a, b) => a + b, 0);
  const pass = (source: Float32Array, horizontal: boolean): Float32Array => {
    const target = new Float32Array(source.length);
    for (let t = 0; t < T; t++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          for (let c = 0; c < 3; c++) {
            let sum = 0;
            for (let k = -radius; k <= radius; k++) {
              const xx = horizontal ? Math.min(W - 1, Math.max(0, x + k)) : x;
              const yy = horizontal ? y : Math.min(H - 1, Math.max(0, y + k));
              sum += (weights[k + radius] as number) * (source[((t * H + yy) * W + xx) * 3 + c] as number);
            }
            target[((t * H + y) * W + x) * 3 + c] = sum / total;
          }
        }
      }
    }
    return target;
  };
  return pass(pass(clip, true), false);
}

/** The clip's frames in another order. */
function reorder(clip: Float32Array, [, H, W]: Shape, order: number[]): Float32Array {
  const frame = H * W * 3;
  const out = new Float32Array(clip.length);
  order.forEach((source, t) => {
    out.set(clip.subarray(source * frame, (source + 1) * frame), t * frame);
  });
  return out;
}

describe('qualityScore', () => {
  const easy = videoDataConfig();
  const shape = shapeOf(easy);
  const clips = realClips(easy, 20);

  test('real clips of the easy default score 1', () => {
    const { score, parts } = meanQuality(clips, shape, easy);
    expect(score).toBeGreaterThan(0.99);
    for (const part of QUALITY_PARTS) expect(parts[part]).toBeGreaterThan(0.99);
  });

  test.each([
    ['several kinds and sizes', { shapeKinds: ['square', 'circle', 'triangle', 'cross'], size: [5, 8], height: 24, width: 24 }, 0.95],
    ['textured background', { background: 'textured' }, 0.95],
    ['three objects that overlap at times', { shapes: 3, shapeKinds: ['square', 'circle', 'triangle', 'cross'], size: [5, 9], height: 32, width: 32, background: 'textured', frames: 10, maxSpeed: 2 }, 0.75],
  ] as const)('real clips with %s score high', (_, overrides, least) => {
    const config = videoDataConfig(overrides as Partial<VideoDataConfig>);
    expect(meanQuality(realClips(config, 30), shapeOf(config), config).score).toBeGreaterThan(least);
  });

  test('pure noise scores 0', () => {
    const rng = createRng(1);
    const noise = clips.slice(0, 5).map((clip) => clip.map(() => Math.max(-1, Math.min(1, rng.normal()))));
    const { score, parts } = meanQuality(noise, shape, easy);
    expect(score).toBeLessThan(0.01);
    expect(parts.background).toBeLessThan(0.1);
  });

  test('blurred blobs score low', () => {
    const blobs = clips.map((clip) => blur(clip, shape, 1.5));
    const { score, parts } = meanQuality(blobs, shape, easy);
    expect(score).toBeLessThan(0.3);
    expect(parts.sharpness).toBeLessThan(0.7);
  });

  test('a frozen object scores 0 for speed', () => {
    const frozen = clips.map((clip) => reorder(clip, shape, [0, 0, 0, 0, 0, 0, 0, 0]));
    const { score, parts } = meanQuality(frozen, shape, easy);
    expect(parts.speed).toBe(0);
    expect(score).toBe(0);
  });

  test('an object that jumps about scores low for motion', () => {
    const teleporting = clips.map((clip) => reorder(clip, shape, [0, 4, 1, 6, 2, 7, 3, 5]));
    const { score, parts } = meanQuality(teleporting, shape, easy);
    expect(parts.motion).toBeLessThan(0.5);
    expect(score).toBeLessThan(0.5);
  });

  test('a missing object scores 0 for presence', () => {
    const empty = new Float32Array(clips[0] as Float32Array);
    const background = empty.subarray(0, 3);
    for (let p = 0; p < empty.length; p += 3) empty.set(background, p);
    expect(qualityScore(empty, shape, easy)).toMatchObject({ score: 0, parts: { presence: 0 } });
  });

  test('rejects a clip that does not match its shape, and an empty list', () => {
    expect(() => qualityScore(clips[0] as Float32Array, [8, 16, 8], easy)).toThrow(/clip has 6144 values/);
    expect(() => meanQuality([], shape, easy)).toThrow(/clips must hold at least one clip/);
  });
});
