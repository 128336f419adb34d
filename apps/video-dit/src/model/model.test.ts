import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { Rope3D } from '@flowdit/rope3d/layer';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { MODEL_PRESETS, type ModelConfig, patchDim, tokenCount, validateModelConfig } from './config.js';
import { createDit, type Dit, disposeDit, ditForward, ditForwardTokens } from './dit.js';
import { batchMatMul, dense, gelu } from './ops.js';
import { param } from './params.js';
import { patchify, patchifyValues, unpatchify, unpatchifyValues } from './patchify.js';

const tiny: ModelConfig = { ...MODEL_PRESETS.tiny, patch: [...MODEL_PRESETS.tiny.patch] };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function seeded(shape: number[], seed: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(seed * 7.1 + i * 1.37)), shape);
}

describe('patchify', () => {
  test('unpatchify inverts patchify exactly', () => {
    const x = seeded([2, tiny.frames, tiny.height, tiny.width, 3], 1) as tf.Tensor5D;
    const tokens = patchify(x, tiny);
    expect(tokens.shape).toEqual([2, tokenCount(tiny), patchDim(tiny)]);
    expect(Array.from(unpatchify(tokens, tiny).dataSync())).toEqual(Array.from(x.dataSync()));
  });

  test('tokens are time-major, s = (t·H′ + h)·W′ + w, each holding its tubelet', () => {
    const config: ModelConfig = { ...tiny, frames: 4, height: 8, width: 8, patch: [2, 4, 4] };
    // Pixel value = its own (frame, row, column) code, so each token shows where it came from.
    const values = new Float32Array(4 * 8 * 8 * 3);
    for (let f = 0; f < 4; f++)
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) values[((f * 8 + y) * 8 + x) * 3] = f * 100 + y * 10 + x;
    const tokens = patchify(tf.tensor5d(values, [1, 4, 8, 8, 3]), config).arraySync()[0]!;
    // token (t=1, h=0, w=1) is s = (1·2 + 0)·2 + 1 = 5; its first value is frame 2, row 0, column 4.
    expect(tokens[5]![0]).toBe(204);
    // The last value of channel 0 in that tubelet: frame 3, row 3, column 7.
    expect(tokens[5]![(((1 * 4 + 3) * 4 + 3) * 3) as number]).toBe(337);
  });
});

describe('patchifyValues', () => {
  test.each([
    ['tiny', tiny],
    ['small', { ...MODEL_PRESETS.small, patch: [...MODEL_PRESETS.small.patch] } as ModelConfig],
    ['odd patch', { ...tiny, frames: 6, height: 6, width: 9, patch: [3, 2, 3] } as ModelConfig],
  ])('gives the tokens patchify gives (%s)', (_, config) => {
    const shape = [3, config.frames, config.height, config.width, 3];
    const x = seeded(shape, 12) as tf.Tensor5D;
    expect(patchifyValues(x.dataSync() as Float32Array, 3, config)).toEqual(patchify(x, config).dataSync());
    tf.dispose(x);
  });

  test('rejects an array of the wrong size', () => {
    expect(() => patchifyValues(new Float32Array(10), 1, tiny)).toThrow(/1 clips of 4×8×8×3 = 768 values, got 10/);
    expect(() => unpatchifyValues(new Float32Array(10), 1, tiny)).toThrow(/1 clips of 4×8×8×3 = 768 values, got 10/);
  });

  test.each([
    ['tiny', tiny],
    ['odd patch', { ...tiny, frames: 6, height: 6, width: 9, patch: [3, 2, 3] } as ModelConfig],
  ])('unpatchifyValues gives the clips unpatchify gives, and undoes patchifyValues (%s)', (_, config) => {
    const tokens = seeded([3, tokenCount(config), patchDim(config)], 13) as tf.Tensor3D;
    const values = tokens.dataSync() as Float32Array;
    const clips = unpatchifyValues(values, 3, config);
    const pixels = unpatchify(tokens, config);
    expect(clips).toEqual(pixels.dataSync());
    expect(patchifyValues(clips, 3, config)).toEqual(values);
    tf.dispose([tokens, pixels]);
  });
});

describe('ops keep products 2-D and their gradients match autodiff', () => {
  test.each([
    ['narrow input', [5, 3], [3, 4]],
    ['wide input', [64, 48], [48, 16]],
  ])('dense (%s): gradients to x, w and b', (_, xShape, wShape) => {
    const x = seeded(xShape!, 2) as tf.Tensor2D;
    const w = seeded(wShape!, 3) as tf.Tensor2D;
    const b = seeded([wShape![1]!], 4) as tf.Tensor1D;
    const loss = (f: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor) =>
      tf.grads((xx, ww, bb) => tf.sum(tf.square(f(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D))));
    const ours = loss(dense)([x, w, b]);
    const reference = loss((xx, ww, bb) => tf.add(tf.matMul(xx, ww), bb))([x, w, b]);
    const withoutBias = tf.grads((xx, ww) => tf.sum(tf.square(dense(xx as tf.Tensor2D, ww as tf.Tensor2D))))([x, w]);
    const referenceWithoutBias = tf.grads((xx, ww) => tf.sum(tf.square(tf.matMul(xx, ww))))([x, w]);
    [...ours, ...withoutBias].forEach((g, i) => {
      const expected = [...reference, ...referenceWithoutBias][i]!;
      expect(g.shape).toEqual(expected.shape);
      expect(Array.from(g.dataSync())).toEqual(Array.from(expected.dataSync()).map((v) => expect.closeTo(v, 4)));
    });
  });

  test('gelu is the tanh approximation, value and gradient', () => {
    const x = tf.linspace(-6, 6, 97);
    const tanhForm = (v: tf.Tensor) =>
      tf.mul(tf.mul(0.5, v), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(v, tf.mul(0.044715, tf.pow(v, 3)))))));
    expect(Array.from(gelu(x).dataSync())).toEqual(Array.from(tanhForm(x).dataSync()).map((v) => expect.closeTo(v, 5)));
    const ours = tf.grad((v) => tf.sum(gelu(v)))(x).dataSync();
    const reference = tf.grad((v) => tf.sum(tanhForm(v)))(x).dataSync();
    expect(Array.from(ours)).toEqual(Array.from(reference).map((v) => expect.closeTo(v, 5)));
  });


  test('batchMatMul', () => {
    const a = seeded([3, 4, 2], 5) as tf.Tensor3D;
    const b = seeded([3, 2, 5], 6) as tf.Tensor3D;
    const f = (g: (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor) => tf.grads((aa, bb) => tf.sum(tf.sin(g(aa as tf.Tensor3D, bb as tf.Tensor3D))));
    const ours = f(batchMatMul)([a, b]);
    const reference = f((aa, bb) => tf.matMul(aa, bb))([a, b]);
    ours.forEach((g, i) => {
      expect(Array.from(g.dataSync())).toEqual(Array.from(reference[i]!.dataSync()).map((v) => expect.closeTo(v, 5)));
    });
  });
});

describe('ditForward', () => {
  test('predicts a velocity of the input shape; adaLN-Zero starts from a zero output layer', () => {
    const model = createDit(tiny, 0);
    const x = seeded([3, tiny.frames, tiny.height, tiny.width, 3], 7) as tf.Tensor5D;
    const t = tf.tensor1d([0, 0.5, 1]);
    const direct = ditForward({ ...model, config: { ...tiny, prediction: 'velocity' } }, x, t);
    expect(direct.shape).toEqual(x.shape);
    expect(tf.max(tf.abs(direct)).dataSync()[0]).toBe(0);
    // x prediction: x̂1 = 0, so the velocity is (0 − x_t) / max(1 − t, 0.05).
    const implied = ditForward(model, x, t).arraySync();
    const input = x.arraySync();
    [1, 0.5, 0.05].forEach((remaining, b) => {
      expect(implied[b]![1]![2]![3]![0]).toBeCloseTo(-input[b]![1]![2]![3]![0]! / remaining, 4);
    });
    disposeDit(model);
  });

  test('depends on t and on the input once the output layer is non-zero', () => {
    const model = nonZero(createDit(tiny, 0));
    const x = seeded([2, tiny.frames, tiny.height, tiny.width, 3], 10) as tf.Tensor5D;
    const a = ditForward(model, x, tf.tensor1d([0.2, 0.2])).arraySync();
    const b = ditForward(model, x, tf.tensor1d([0.2, 0.9])).arraySync();
    expect(a[0]).toEqual(b[0]);
    expect(a[1]).not.toEqual(b[1]);
    disposeDit(model);
  });

  test('q and k of every block go through the Rope3D layer built for the token grid', () => {
    const config: ModelConfig = { ...tiny, depth: 2 };
    const model = nonZero(createDit(config, 0));
    expect(model.rope).toBeInstanceOf(Rope3D);
    expect(model.rope.table.grid).toEqual([2, 2, 2]);
    expect(model.rope.table.headDim).toBe(tiny.hidden / tiny.heads);
    const x = seeded([2, tiny.frames, tiny.height, tiny.width, 3], 12) as tf.Tensor5D;
    const t = tf.tensor1d([0.3, 0.6]);
    const apply = vi.spyOn(model.rope, 'apply');
    const rotated = ditForward(model, x, t).dataSync();
    expect(apply).toHaveBeenCalledTimes(2 * config.depth);
    // without the rotation the output differs: the layer's work reaches the result
    apply.mockImplementation((input) => input);
    expect(Array.from(ditForward(model, x, t).dataSync())).not.toEqual(Array.from(rotated));
    apply.mockRestore();
    disposeDit(model);
  });

  test('the same seed gives the same weights', () => {
    const m1 = createDit(tiny, 3);
    const m2 = createDit(tiny, 3);
    expect([...m1.params.values()].reduce((count, weight) => count + weight.size, 0)).toBeGreaterThan(1000);
    expect(Array.from(param(m1.params, 'block0.qkv.w').dataSync())).toEqual(Array.from(param(m2.params, 'block0.qkv.w').dataSync()));
    disposeDit(m1);
    disposeDit(m2);
  });

  test('bad shapes and configs are rejected with the name of what is wrong', () => {
    const model = createDit(tiny, 0);
    expect(() => ditForward(model, tf.zeros([1, 4, 8, 9, 3]) as tf.Tensor5D, tf.zeros([1]) as tf.Tensor1D)).toThrow(/xt must have shape \[B, 4, 8, 8, 3\]/);
    expect(() => ditForward(model, tf.zeros([2, 4, 8, 8, 3]) as tf.Tensor5D, tf.zeros([1]) as tf.Tensor1D)).toThrow(/t must have shape \[2\]/);
    expect(() => ditForwardTokens(model, tf.zeros([2, 4, 96]) as tf.Tensor3D, tf.zeros([2]) as tf.Tensor1D)).toThrow(/tokens must have shape \[B, 8, 96\], got \[2, 4, 96\]/);
    disposeDit(model);
    expect(() => validateModelConfig({ ...tiny, patch: [3, 4, 4] })).toThrow(/patch\[0\] = 3 must divide model.frames = 4/);
    expect(() => validateModelConfig({ ...tiny, hidden: 30, heads: 4 })).toThrow(/even integer head dimension/);
  });
});

/** The model with its output layer and first modulation made non-zero, so that its output depends on everything. */
function nonZero(model: Dit): Dit {
  param(model.params, 'final.out.w').assign(seeded(param(model.params, 'final.out.w').shape, 8));
  param(model.params, 'block0.mod.w').assign(seeded(param(model.params, 'block0.mod.w').shape, 9));
  return model;
}
