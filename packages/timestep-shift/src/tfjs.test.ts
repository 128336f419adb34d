import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { timestepDistribution } from './distributions.js';
import { createRng } from './rng.js';
import { sampleTimesteps } from './sampling.js';
import { wanSchedule } from './schedules.js';
import { eulerStep, flowUniPC, heunStep, stochasticEulerCoefficients, stochasticEulerStep } from './solvers.js';
import {
  eulerStepTensor,
  flowMatchingPair,
  flowUniPCTensor,
  heunStepTensor,
  linearStepTensor,
  stochasticEulerStepTensor,
  timestepTensor,
} from './tfjs.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const dist = timestepDistribution({ kind: 'shifted-logit-normal', shift: 3 });

describe('timestepTensor', () => {
  test('is a [batch] float32 tensor of the float64 draws rounded once', () => {
    const t = timestepTensor(dist, 6, createRng(1), { stratified: true });
    expect(t.shape).toEqual([6]);
    expect(t.dtype).toBe('float32');
    const expected = sampleTimesteps(dist, 6, createRng(1), { stratified: true });
    expect(Array.from(t.dataSync())).toEqual(Array.from(expected, Math.fround));
    t.dispose();
  });

  test('rejects a non-integer batch size', () => {
    expect(() => timestepTensor(dist, 3.5, createRng(1))).toThrow('batchSize must be an integer >= 1, got 3.5');
  });

  test('without an rng, says which argument and what to pass', () => {
    expect(() => timestepTensor(dist, 4, undefined as never)).toThrow(
      new TypeError('rng must be a generator from createRng(seed) or restoreRng(state), got undefined'),
    );
  });
});

describe('flowMatchingPair', () => {
  test('x_t = t·x1 + (1 − t)·x0 and velocity = x1 − x0, t broadcast per batch item', () => {
    const data = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    const noise = tf.tensor3d([0.5, -1, 0, 2, -3, 1, 0.25, 0], [2, 2, 2]);
    const t = tf.tensor1d([0.25, 1]);
    const { xt, velocity } = flowMatchingPair(data, noise, t);
    const x1 = data.dataSync();
    const x0 = noise.dataSync();
    const xtValues = xt.dataSync();
    const vValues = velocity.dataSync();
    for (let i = 0; i < 8; i++) {
      const ti = i < 4 ? 0.25 : 1;
      expect(xtValues[i]).toBeCloseTo(ti * x1[i]! + (1 - ti) * x0[i]!, 6);
      expect(vValues[i]).toBeCloseTo(x1[i]! - x0[i]!, 6);
    }
    tf.dispose([data, noise, t, xt, velocity]);
  });

  test('leaves exactly its two outputs behind (no leaked intermediates)', () => {
    const before = tf.memory().numTensors;
    const data = tf.ones([4, 3, 2, 2]);
    const noise = tf.zeros([4, 3, 2, 2]);
    const t = timestepTensor(dist, 4, createRng(3));
    const afterInputs = tf.memory().numTensors;
    const { xt, velocity } = flowMatchingPair(data, noise, t);
    expect(tf.memory().numTensors).toBe(afterInputs + 2);
    tf.dispose([data, noise, t, xt, velocity]);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('rejects mismatched shapes', () => {
    tf.tidy(() => {
      const data = tf.zeros([2, 3]);
      expect(() => flowMatchingPair(data, tf.zeros([2, 4]), tf.zeros([2]) as tf.Tensor1D)).toThrow(
        'noise must have the shape of data [2, 3], got [2, 4]',
      );
      expect(() => flowMatchingPair(data, tf.zeros([2, 3]), tf.zeros([3]) as tf.Tensor1D)).toThrow(
        't must have shape [2] (one time per batch item), got [3]',
      );
    });
  });
});

describe('solver steps on tensors', () => {
  const xs = [0.5, -1, 2, 0.25, -0.75, 1.5];
  const vs = [1, 0.25, -0.5, 2, -1, 0.125];
  const noise = [0.3, -0.2, 1.1, -1.4, 0.6, 0.05];
  // The float32 tensors against the float64 arrays: a few float32 roundings.
  const expectClose = (tensor: tf.Tensor, expected: ArrayLike<number>) => {
    Array.from(tensor.dataSync()).forEach((value, i) => {
 expect(Math.abs(value - expected[i]!)).toBeLessThan(2e-6);
});
  };
  const field = (x: Float64Array, t: number) => x.map((value) => -0.5 * value + t);
  const tensorField = (x: tf.Tensor, t: number) => tf.tidy(() => tf.add(tf.mul(x, -0.5), t));

  test('Euler, stochastic Euler and Heun agree with the array steps and leave only their result', () => {
    const x = tf.tensor2d(xs, [2, 3]);
    const v = tf.tensor2d(vs, [2, 3]);
    const eps = tf.tensor2d(noise, [2, 3]);
    const before = tf.memory().numTensors;
    const euler = eulerStepTensor(x, v, 0.2, 0.45);
    const stochastic = stochasticEulerStepTensor(x, v, 0.2, 0.45, eps, { eta: 0.6 });
    const heun = heunStepTensor(x, 0.2, 0.45, tensorField);
    expect(tf.memory().numTensors).toBe(before + 3);
    expectClose(euler, eulerStep(xs, vs, 0.2, 0.45));
    expectClose(stochastic, stochasticEulerStep(xs, vs, 0.2, 0.45, noise, { eta: 0.6 }));
    expectClose(heun, heunStep(xs, 0.2, 0.45, field));
    tf.dispose([x, v, eps, euler, stochastic, heun]);
  });

  test('a step from its coefficients as a tensor is the stochastic or plain Euler step, and leaves only its result', () => {
    const x = tf.tensor2d(xs, [2, 3]);
    const v = tf.tensor2d(vs, [2, 3]);
    const eps = tf.tensor2d(noise, [2, 3]);
    const c = stochasticEulerCoefficients(0.2, 0.45, { eta: 0.6 });
    const withNoise = tf.tensor1d([c.x, c.velocity, c.noise]);
    const plain = stochasticEulerCoefficients(0.2, 0.45, { eta: 0 });
    const withoutNoise = tf.tensor1d([plain.x, plain.velocity]);
    const before = tf.memory().numTensors;
    const stochastic = linearStepTensor(x, v, withNoise, eps);
    const euler = linearStepTensor(x, v, withoutNoise);
    expect(tf.memory().numTensors).toBe(before + 2);
    expectClose(stochastic, stochasticEulerStep(xs, vs, 0.2, 0.45, noise, { eta: 0.6 }));
    expectClose(euler, eulerStep(xs, vs, 0.2, 0.45));
    expect(() => linearStepTensor(x, v, withNoise)).toThrow(
      new RangeError('coefficients must be a 1-D tensor of 2 values ([a, b] without noise), got shape [3]'),
    );
    expect(() => linearStepTensor(x, v, withoutNoise, eps)).toThrow(
      new RangeError('coefficients must be a 1-D tensor of 3 values ([a, b, c] with noise), got shape [2]'),
    );
    tf.dispose([x, v, eps, withNoise, withoutNoise, stochastic, euler]);
  });

  test('flow UniPC agrees with the array run and disposes its state after the last step', () => {
    const { times } = wanSchedule(6, { shift: 5 });
    const run = flowUniPC(times, { order: 3 });
    const tensors = flowUniPCTensor(times, { order: 3 });
    const before = tf.memory().numTensors;
    let x: Float64Array = Float64Array.from(xs);
    let xt: tf.Tensor = tf.tensor1d(xs);
    for (let i = 0; i < 6; i++) {
      const t = times[i]!;
      x = run.step(x, field(x, t));
      const v = tensorField(xt, t);
      const next = tensors.step(xt, v);
      tf.dispose([xt, v]);
      xt = next;
      expectClose(xt, x);
    }
    expect(tf.memory().numTensors).toBe(before + 1);
    xt.dispose();
  });

  test('a run stopped early releases its state with dispose()', () => {
    const before = tf.memory().numTensors;
    const run = flowUniPCTensor(wanSchedule(6).times);
    const x = tf.ones([4]);
    const v = tf.zeros([4]);
    const next = run.step(x, v);
    run.dispose();
    tf.dispose([x, v, next]);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('shapes that differ throw, naming the argument', () => {
    tf.tidy(() => {
      const x = tf.zeros([2, 3]);
      expect(() => eulerStepTensor(x, tf.zeros([3]), 0, 1)).toThrow(
        new RangeError('velocity must have the shape of x [2, 3], got [3]'),
      );
      expect(() => stochasticEulerStepTensor(x, x, 0, 1, tf.zeros([2]))).toThrow(
        new RangeError('noise must have the shape of x [2, 3], got [2]'),
      );
      expect(() => heunStepTensor(x, 0, 0.5, () => tf.zeros([1]))).toThrow(
        new RangeError('velocity(x, t) must have the shape of x [2, 3], got [1]'),
      );
      expect(() => flowUniPCTensor([0, 1]).step(x, tf.zeros([6]))).toThrow(
        new RangeError('velocity must have the shape of x [2, 3], got [6]'),
      );
    });
  });
});
