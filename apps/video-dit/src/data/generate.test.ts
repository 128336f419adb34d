import { describe, expect, test } from 'vitest';
import { videoDataConfig } from './config.js';
import { clipBatch, datasetSplit, generateClip, VALIDATION_INDEX_OFFSET } from './generate.js';
import { PLAIN_BACKGROUND } from './shapes.js';

const hard = videoDataConfig({
  shapes: 3,
  shapeKinds: ['square', 'circle', 'triangle', 'cross'],
  size: [4, 9],
  height: 24,
  width: 32,
  frames: 12,
  maxSpeed: 3,
  background: 'textured',
  seed: 7,
});

/** Pixels of frame t that differ from the plain background. */
function foregroundCount(pixels: Float32Array, t: number, height: number, width: number): number {
  let count = 0;
  for (let p = 0; p < height * width; p++) {
    const o = (t * height * width + p) * 3;
    if (Math.abs((pixels[o] as number) - PLAIN_BACKGROUND[0]) > 1e-6) count++;
  }
  return count;
}

describe('generateClip', () => {
  test('is deterministic in (seed, index) and differs across both', () => {
    const config = videoDataConfig();
    const a = generateClip(config, 5);
    expect(generateClip(config, 5)).toEqual(a);
    expect(generateClip(config, 6).pixels).not.toEqual(a.pixels);
    expect(generateClip({ ...config, seed: 1 }, 5).pixels).not.toEqual(a.pixels);
    expect(generateClip(hard, 3)).toEqual(generateClip(hard, 3));
  });

  test('gives [T, H, W, 3] in [-1, 1] with one track per object', () => {
    const clip = generateClip(hard, 0);
    expect(clip.pixels.length).toBe(12 * 24 * 32 * 3);
    expect(Math.min(...clip.pixels)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...clip.pixels)).toBeLessThanOrEqual(1);
    expect(clip.objects).toHaveLength(3);
    for (const object of clip.objects) {
      expect(object.positions).toHaveLength(12);
      expect(object.size).toBeGreaterThanOrEqual(4);
      expect(object.size).toBeLessThanOrEqual(9);
    }
  });

  test('the easy default draws one square of constant area on a plain background', () => {
    const config = videoDataConfig();
    for (let index = 0; index < 20; index++) {
      const { pixels, objects } = generateClip(config, index);
      expect(objects).toHaveLength(1);
      expect(objects[0]?.kind).toBe('square');
      for (let t = 0; t < config.frames; t++) {
        expect(foregroundCount(pixels, t, config.height, config.width)).toBe(36);
      }
    }
  });

  test('objects keep their speed and reflect off the walls', () => {
    for (let index = 0; index < 50; index++) {
      for (const { size, positions } of generateClip(hard, index).objects) {
        const half = size / 2;
        const axes = [
          [0, hard.width],
          [1, hard.height],
        ] as const;
        for (const [axis, extent] of axes) {
          const path = positions.map((p) => p[axis]);
          for (const x of path) {
            expect(x).toBeGreaterThanOrEqual(half);
            expect(x).toBeLessThanOrEqual(extent - half);
          }
          const steps = path.slice(1).map((x, t) => x - (path[t] as number));
          for (let t = 1; t < steps.length; t++) {
            const before = steps[t - 1] as number;
            const after = steps[t] as number;
            if (Math.abs(after - before) > 1e-9) {
              // Only a bounce changes a step, and it happens within one step's reach of a wall.
              const x = path[t] as number;
              const reach = Math.max(Math.abs(before), Math.abs(after));
              expect(Math.min(x - half, extent - half - x)).toBeLessThanOrEqual(reach + 1e-9);
            }
          }
        }
        const speeds = positions.slice(1).map((p, t) => Math.hypot(p[0] - positions[t]![0], p[1] - positions[t]![1]));
        expect(Math.max(...speeds)).toBeLessThanOrEqual(hard.maxSpeed + 1e-9);
      }
    }
  });

  test('draws large frames', () => {
    const big = videoDataConfig({ frames: 4, height: 256, width: 256, size: [16, 48], shapes: 4, seed: 3 });
    expect(generateClip(big, 0).pixels.length).toBe(4 * 256 * 256 * 3);
  });

  test.each([
    [{ frames: 0 }, /frames must be a positive integer/],
    [{ channels: 4 as 3 }, /channels must be 3/],
    [{ shapeKinds: ['hexagon' as 'square'] }, /shapeKinds contains 'hexagon'/],
    [{ size: 40 }, /size must be .* min\(height, width\) = 16, got 40/],
    [{ size: [6, 3] as [number, number] }, /size must be/],
    [{ maxSpeed: Number.NaN }, /maxSpeed must be a finite number/],
    [{ background: 'noise' as 'plain' }, /background must be 'plain' or 'textured'/],
    [{ seed: -1 }, /seed must be an integer/],
  ])('rejects %j', (overrides, message) => {
    expect(() => videoDataConfig(overrides)).toThrow(message);
  });

  test('rejects a bad index', () => {
    expect(() => generateClip(videoDataConfig(), -1)).toThrow(/index must be an integer in \[0, 2\^31\), got -1/);
  });
});

describe('splits', () => {
  test('training and validation indices are disjoint and give different clips', () => {
    const config = videoDataConfig();
    const train = datasetSplit('train', 1000);
    const validation = datasetSplit('validation', 100);
    expect(new Set([...train, ...validation]).size).toBe(1100);
    expect(train.every((i) => i < VALIDATION_INDEX_OFFSET)).toBe(true);
    expect(validation.every((i) => i >= VALIDATION_INDEX_OFFSET)).toBe(true);
    expect(validation[0]).toBe(VALIDATION_INDEX_OFFSET);
    const trainClips = new Set(train.slice(0, 200).map((i) => generateClip(config, i).pixels.join()));
    expect(validation.some((i) => trainClips.has(generateClip(config, i).pixels.join()))).toBe(false);
  });

  test('rejects an unknown split or count', () => {
    expect(() => datasetSplit('test' as 'train', 3)).toThrow(/split must be 'train' or 'validation'/);
    expect(() => datasetSplit('train', 1.5)).toThrow(/count must be an integer/);
  });

  test('clipBatch concatenates clips in order', () => {
    const batch = clipBatch(hard, [4, 2]);
    const length = hard.frames * hard.height * hard.width * 3;
    expect(batch.subarray(0, length)).toEqual(generateClip(hard, 4).pixels);
    expect(batch.subarray(length)).toEqual(generateClip(hard, 2).pixels);
  });
});
