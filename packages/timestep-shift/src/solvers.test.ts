import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { hunyuanVideoSchedule, wanSchedule } from './schedules.js';
import { eulerStep, flowUniPC, heunStep, stochasticEulerCoefficients, stochasticEulerStep } from './solvers.js';

const x = Float64Array.of(0.5, -1, 2);
const v = Float64Array.of(1, 0.25, -0.5);
const values = fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: 1, maxLength: 6 });
const time = fc.double({ min: 0, max: 1, noNaN: true });

describe('eulerStep', () => {
  test('moves by (tNext − t)·v', () => {
    expect(Array.from(eulerStep(x, v, 0.25, 0.75))).toEqual([1, -0.875, 1.75]);
  });

  test('integrates a straight path exactly: from the noise at t = 0 to the data at t = 1', () => {
    const noise = [0.3, -1.2];
    const data = [2, 0.5];
    const velocity = data.map((d, i) => d - noise[i]!);
    expect(Array.from(eulerStep(noise, velocity, 0, 1))).toEqual(data);
  });
});

describe('stochasticEulerStep', () => {
  test('η = 0 is the Euler step, and at tNext = 1 the noise has no weight', () => {
    fc.assert(
      fc.property(values, time, time, (xs, t, tNext) => {
        const vs = xs.map((value) => 0.5 - value);
        const noise = xs.map((value) => value * 3 + 1);
        const euler = eulerStep(xs, vs, t, tNext);
        const plain = stochasticEulerStep(xs, vs, t, tNext, noise, { eta: 0 });
        plain.forEach((value, i) => {
 expect(value).toBeCloseTo(euler[i]!, 12);
});
        const last = stochasticEulerStep(xs, vs, t, 1, noise);
        eulerStep(xs, vs, t, 1).forEach((value, i) => {
 expect(last[i]).toBeCloseTo(value, 12);
});
      }),
    );
  });

  test('η = 1 is (1 − σ′)·x̂1 + σ′·ε, diffusers’ stochastic_sampling', () => {
    const noise = [0.1, 0.2, 0.3];
    const out = stochasticEulerStep(x, v, 0.25, 0.5, noise);
    x.forEach((value, i) => {
 expect(out[i]).toBeCloseTo(0.5 * (value + 0.75 * v[i]!) + 0.5 * noise[i]!, 15);
});
  });

  test.each([
    ['η above 1', () => stochasticEulerStep(x, v, 0, 0.5, x, { eta: 1.5 }), /eta must be a number in \[0, 1\] \(the share of fresh noise\), got 1.5/],
    ['noise of another length', () => stochasticEulerStep(x, v, 0, 0.5, [1]), /noise must hold as many values as x \(3\), got 1/],
  ])('%s throws', (_, run, message) => {
    expect(run).toThrow(message);
  });
});

describe('stochasticEulerCoefficients', () => {
  test('a·x + b·v + c·ε is the stochastic Euler step, and η = 0 gives the Euler step (1, tNext − t, 0)', () => {
    fc.assert(
      fc.property(values, time, time, fc.double({ min: 0, max: 1, noNaN: true }), (xs, t, tNext, eta) => {
        const vs = xs.map((value) => 0.5 - value);
        const noise = xs.map((value) => value * 3 + 1);
        const c = stochasticEulerCoefficients(t, tNext, { eta });
        stochasticEulerStep(xs, vs, t, tNext, noise, { eta }).forEach((value, i) => {
          expect(c.x * xs[i]! + c.velocity * vs[i]! + c.noise * noise[i]!).toBeCloseTo(value, 12);
        });
      }),
    );
    const euler = stochasticEulerCoefficients(0.25, 0.75, { eta: 0 });
    expect([euler.x, euler.velocity, euler.noise]).toEqual([1, 0.5, 0]);
  });

  test('bad times and η are named', () => {
    expect(() => stochasticEulerCoefficients(-0.1, 0.5)).toThrow(/t must be/);
    expect(() => stochasticEulerCoefficients(0.1, 1.5)).toThrow(/tNext must be/);
    expect(() => stochasticEulerCoefficients(0.1, 0.5, { eta: -1 })).toThrow(/eta must be a number in \[0, 1\]/);
  });
});

describe('heunStep', () => {
  test('is exact for a velocity linear in t, and calls the model once on the last step', () => {
    // dx/dt = 2t: x(t) = x0 + t², which the trapezoid rule integrates exactly.
    let calls = 0;
    const field = (xs: Float64Array, t: number) => {
      calls += 1;
      return xs.map(() => 2 * t);
    };
    expect(heunStep([1], 0.2, 0.6, field)[0]).toBeCloseTo(1 + 0.36 - 0.04, 15);
    expect(calls).toBe(2);
    heunStep([1], 0.6, 1, field);
    expect(calls).toBe(3);
  });

  test.each([
    ['a velocity that is not a function', () => heunStep(x, 0, 0.5, 3 as never), new TypeError('velocity must be a function (x, t) => dx/dt, got 3')],
    ['a field of the wrong length', () => heunStep(x, 0, 0.5, () => [1]), new RangeError('velocity(x, t) must hold as many values as x (3), got 1')],
    ['t outside [0, 1]', () => heunStep(x, -0.5, 0.5, () => x), new RangeError('t must be a number in [0, 1], got -0.5')],
  ])('%s throws', (_, run, error) => {
    expect(run).toThrow(error);
  });
});

describe('step argument checks', () => {
  test.each([
    ['x not an array', () => eulerStep(2 as never, v, 0, 1), new TypeError('x must be an array of numbers (number[] or a typed array), got 2')],
    ['velocity of another length', () => eulerStep(x, [1, 2], 0, 1), new RangeError('velocity must hold as many values as x (3), got 2')],
    ['tNext outside [0, 1]', () => eulerStep(x, v, 0, 1.25), new RangeError('tNext must be a number in [0, 1], got 1.25')],
  ])('%s throws', (_, run, error) => {
    expect(run).toThrow(error);
  });
});

describe('flowUniPC', () => {
  // dx/dt = data − noise on the straight path: every estimate is the data, so every order lands on it.
  test('reaches the data of a straight path with every order and solver type', () => {
    const data = [1.5, -0.5];
    const noise = [0.25, 1];
    const { times } = wanSchedule(8, { shift: 5 });
    for (const order of [1, 2, 3]) {
      for (const solverType of ['bh1', 'bh2'] as const) {
        const run = flowUniPC(times, { order, solverType });
        // Wan's schedule starts at σ = shift(0.999) < 1: start on the path there.
        let xs: Float64Array = Float64Array.from(noise, (n, k) => times[0]! * data[k]! + (1 - times[0]!) * n);
        for (let i = 0; i < run.steps; i++) xs = run.step(xs, data.map((d, k) => d - noise[k]!));
        xs.forEach((value, k) => {
 expect(value).toBeCloseTo(data[k]!, 12);
});
      }
    }
  });

  test('the t and sigma conventions describe the same run', () => {
    const { times } = hunyuanVideoSchedule(6, { shift: 7 });
    const inT = flowUniPC(times);
    const inSigma = flowUniPC(Array.from(times, (t) => 1 - t), { convention: 'sigma' });
    let a: Float64Array = Float64Array.of(1, -2);
    let b: Float64Array = Float64Array.of(1, -2);
    for (let i = 0; i < 6; i++) {
      a = inT.step(a, a.map((value) => -value));
      b = inSigma.step(b, b.map((value) => -value));
    }
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(inT.stepIndex).toBe(6);
  });

  test.each([
    ['a one-value schedule', () => flowUniPC([0]), new RangeError('schedule must hold N + 1 >= 2 values (with the terminal), got 1')],
    ['a time outside [0, 1]', () => flowUniPC([0, 1.5]), new RangeError('times[1] must be a number in [0, 1], got 1.5')],
    ['order 4', () => flowUniPC([0, 1], { order: 4 }), new RangeError('order must be 1, 2 or 3, got 4')],
    ['an unknown solver type', () => flowUniPC([0, 1], { solverType: 'bh3' as 'bh1' }), new RangeError(`solverType must be 'bh1' or 'bh2', got "bh3"`)],
    ['a negative corrector index', () => flowUniPC([0, 1], { disableCorrector: [-1] }), new RangeError('disableCorrector[0] must be an integer >= 0, got -1')],
    ['an unknown convention', () => flowUniPC([0, 1], { convention: 'x' as 't' }), new RangeError(`convention must be 't' or 'sigma', got "x"`)],
  ])('%s throws', (_, run, error) => {
    expect(run).toThrow(error);
  });

  test('a step past the end and a velocity of another length throw', () => {
    const run = flowUniPC([0, 1]);
    expect(() => run.step([1, 2], [1])).toThrow(new RangeError('velocity must hold as many values as x (2), got 1'));
    run.step([1], [1]);
    expect(() => run.step([1], [1])).toThrow(new RangeError('the run is done: all 1 steps were taken'));
  });
});
