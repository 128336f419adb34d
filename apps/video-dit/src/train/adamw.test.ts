import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, test } from 'vitest';
import { AdamW, clipByGlobalNorm, learningRateAt, updateEma } from './adamw.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('learningRateAt', () => {
  const peak = 0.01;
  test.each([
    ['the first warm-up step', 0, peak / 10],
    ['the last warm-up step', 9, peak],
    ['the end of warm-up', 10, peak],
    ['halfway through the decay', 60, 0.55 * peak],
    ['the last step', 110, 0.1 * peak],
    ['past the last step', 500, 0.1 * peak],
  ])('%s (step %i): %f', (_, step, expected) => {
    expect(learningRateAt(step, peak, 10, 110)).toBeCloseTo(expected, 12);
  });

  test('without warm-up the first step is the peak', () => {
    expect(learningRateAt(0, peak, 0, 100)).toBe(peak);
  });
});

describe('clipByGlobalNorm', () => {
  // Two tensors with squares summing to 5² = 9 + 16: global norm 5.
  const grads = () => ({ a: tf.tensor1d([3]), b: tf.tensor2d([[0, 4]]) });

  test.each([
    ['under the bound: unchanged', 6, 1],
    ['at the bound: unchanged', 5, 1],
    ['over the bound: scaled to it', 2, 2 / 5],
  ])('%s', (_, maxNorm, scale) => {
    const { clipped, norm } = clipByGlobalNorm(grads(), maxNorm);
    expect(norm.dataSync()[0]).toBeCloseTo(5, 6);
    expect(Array.from(clipped.a!.dataSync())).toEqual([3 * scale].map((v) => expect.closeTo(v, 6)));
    expect(Array.from(clipped.b!.dataSync())).toEqual([0, 4 * scale].map((v) => expect.closeTo(v, 6)));
  });
});

describe('updateEma', () => {
  test.each([
    ['warms up: decay (1 + n)/(10 + n) = 0.1 after no update', 0, 0.1],
    ['warms up: 0.5 after 8 updates', 8, 0.5],
    ['then uses the target decay', 10_000, 0.99],
  ])('%s', (_, updates, decay) => {
    const ema = new Map([['w', tf.variable(tf.tensor1d([1, 2]))]]);
    const params = new Map([['w', tf.variable(tf.tensor1d([3, -2]))]]);
    updateEma(ema, params, 0.99, updates);
    expect(Array.from(ema.get('w')!.dataSync())).toEqual([decay * 1 + (1 - decay) * 3, decay * 2 - (1 - decay) * 2].map((v) => expect.closeTo(v, 6)));
  });
});

describe('AdamW', () => {
  const options = { beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.1 };

  test("one update moves each weight by lr·(m̂/(√v̂ + ε) + λ·w), decaying matrices only", () => {
    const params = new Map<string, tf.Variable>([
      ['w', tf.variable(tf.tensor2d([[1, -1]]))],
      ['b', tf.variable(tf.tensor1d([1]))],
    ]);
    const optimizer = new AdamW(params, options);
    optimizer.apply({ w: tf.tensor2d([[0.5, -2]]), b: tf.tensor1d([3]) }, 0.1);
    // After one update m̂ = g and v̂ = g², so the step is sign(g) (up to ε).
    expect(Array.from(params.get('w')!.dataSync())).toEqual([1 - 0.1 * (1 + 0.1), -1 - 0.1 * (-1 - 0.1)].map((v) => expect.closeTo(v, 6)));
    expect(Array.from(params.get('b')!.dataSync())).toEqual([expect.closeTo(1 - 0.1, 6)]);
    expect(optimizer.updates).toBe(1);
    optimizer.dispose();
  });

  test('state() and restore() carry the update count and the moments to a new optimizer', () => {
    const weights = () => new Map([['w', tf.variable(tf.tensor1d([1, 2]))]]);
    const first = new AdamW(weights(), options);
    const gradient = () => ({ w: tf.tensor1d([0.3, -0.7]) });
    first.apply(gradient(), 0.01);
    first.apply(gradient(), 0.01);
    const { updates, m, v } = first.state();
    const second = new AdamW(weights(), options);
    second.restore({ updates, m: new Map([...m].map(([name, t]) => [name, tf.clone(t)])), v: new Map([...v].map(([name, t]) => [name, tf.clone(t)])) });
    expect(second.updates).toBe(2);
    expect(Array.from(second.state().m.get('w')!.dataSync())).toEqual(Array.from(m.get('w')!.dataSync()));
    expect(Array.from(second.state().v.get('w')!.dataSync())).toEqual(Array.from(v.get('w')!.dataSync()));
    expect(() => second.restore({ updates: 1, m: new Map(), v: new Map() })).toThrow(/checkpoint has no 'adam.m\/w'/);
    first.dispose();
    second.dispose();
  });

  test('a missing gradient names the weight', () => {
    const optimizer = new AdamW(new Map([['w', tf.variable(tf.tensor1d([1]))]]), options);
    expect(() => optimizer.apply({}, 0.1)).toThrow(/no gradient for weight 'w'/);
    optimizer.dispose();
  });
});
