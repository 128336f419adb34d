import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, test } from 'vitest';
import { AdamW, clipScale, emaDecayAt, globalNorm, learningRateAt } from './adamw.js';

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

describe('clipping by the global norm', () => {
  test('globalNorm is √(Σ g²) over every gradient', () => {
    // squares summing to 5² = 9 + 16
    const norm = globalNorm([tf.tensor1d([3]), tf.tensor2d([[0, 4]])]);
    expect(norm.dataSync()[0]).toBeCloseTo(5, 6);
  });

  test.each([
    ['under the bound: unchanged', 6, 1],
    ['at the bound: unchanged', 5, 1],
    ['over the bound: scaled to it', 2, Math.fround(2 / 5)],
  ])('clipScale %s', (_, maxNorm, scale) => {
    expect(clipScale(5, maxNorm)).toBe(scale);
  });
});

describe('emaDecayAt', () => {
  test.each([
    ['warms up: (1 + n)/(10 + n) = 0.2 at the first update', 1, 2 / 11],
    ['0.5 at the eighth', 8, 0.5],
    ['then the target decay', 10_000, 0.99],
  ])('%s', (_, updates, decay) => {
    expect(emaDecayAt(0.99, updates)).toBeCloseTo(decay, 12);
  });
});

describe('AdamW', () => {
  const options = { beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.1 };

  test('one update moves each weight by lr·(m̂/(√v̂ + ε) + λ·w), decaying matrices only, and its EMA', () => {
    const params = new Map<string, tf.Variable>([
      ['w', tf.variable(tf.tensor2d([[1, -1]]))],
      ['b', tf.variable(tf.tensor1d([1]))],
    ]);
    const ema = new Map<string, tf.Variable>([
      ['w', tf.variable(tf.tensor2d([[0, 0]]))],
      ['b', tf.variable(tf.tensor1d([2]))],
    ]);
    const optimizer = new AdamW(params, options);
    optimizer.apply({ w: tf.tensor2d([[0.5, -2]]), b: tf.tensor1d([3]) }, 0.1, 0.5, { params: ema, decay: 0.99 });
    // After one update m̂ = g and v̂ = g², so the step is sign(g) (up to ε), whatever the clipping.
    const w = [1 - 0.1 * (1 + 0.1), -1 - 0.1 * (-1 - 0.1)];
    expect(Array.from(params.get('w')!.dataSync())).toEqual(w.map((v) => expect.closeTo(v, 6)));
    expect(Array.from(params.get('b')!.dataSync())).toEqual([expect.closeTo(1 - 0.1, 6)]);
    // the EMA's first decay is (1 + 1)/(10 + 1)
    const d = 2 / 11;
    expect(Array.from(ema.get('w')!.dataSync())).toEqual(w.map((v) => expect.closeTo((1 - d) * v, 6)));
    expect(Array.from(ema.get('b')!.dataSync())).toEqual([expect.closeTo(d * 2 + (1 - d) * 0.9, 6)]);
    expect(optimizer.updates).toBe(1);
    optimizer.dispose();
  });

  test('state() and restore() carry the update count and the moments to a new optimizer', () => {
    const weights = () => new Map([['w', tf.variable(tf.tensor1d([1, 2]))]]);
    const first = new AdamW(weights(), options);
    const gradient = () => ({ w: tf.tensor1d([0.3, -0.7]) });
    const ema = { params: weights(), decay: 0.9 };
    first.apply(gradient(), 0.01, 1, ema);
    first.apply(gradient(), 0.01, 1, ema);
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
    expect(() => optimizer.apply({}, 0.1, 1, { params: new Map(), decay: 0.9 })).toThrow(/no gradient for weight 'w'/);
    optimizer.dispose();
  });
});
