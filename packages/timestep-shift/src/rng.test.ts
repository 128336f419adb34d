import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { normalQuantile } from './normal.js';
import { createRng, restoreRng } from './rng.js';

describe('createRng', () => {
  // Computed with an independent Python implementation of splitmix32 seeding and xoshiro128**
  // (Blackman & Vigna's reference `next`); pinning them pins the sequence on every machine.
  test.each([
    [0, [1897706650, 456130869, 968497435, 3754712734]],
    [42, [3688067512, 3434756930, 831114780, 1451099932]],
    [2 ** 40 + 7, [1674439209, 2040938196, 2122507296, 3410286756]],
  ])('seed %i starts from the pinned state', (seed, state) => {
    expect(Array.from(createRng(seed).state())).toEqual(state);
  });

  test('seed 42 gives the pinned 53-bit uniforms', () => {
    const rng = createRng(42);
    expect([rng.uniform(), rng.uniform(), rng.uniform()]).toEqual([
      0.36800107161050477, 0.8313511586835285, 0.01607400086028521,
    ]);
  });

  test('normal() is the normal quantile at the midpoint of the 2^-52 cell holding the same uniform', () => {
    const a = createRng(9);
    const b = createRng(9);
    for (let i = 0; i < 1000; i++) {
      expect(a.normal()).toBe(normalQuantile((Math.floor(b.uniform() * 2 ** 52) + 0.5) / 2 ** 52));
    }
  });

  test('uniform() lies in [0, 1) with mean 1/2 and variance 1/12; normal() has mean 0 and variance 1', () => {
    const rng = createRng(1);
    const n = 200_000;
    let sum = 0;
    let sumSquares = 0;
    let normalSum = 0;
    let normalSquares = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      sumSquares += u * u;
      const z = rng.normal();
      normalSum += z;
      normalSquares += z * z;
    }
    // Five standard errors.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(sumSquares / n - (sum / n) ** 2 - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / n));
    expect(Math.abs(normalSum / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(normalSquares / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });

  test('restoreRng(state) continues the sequence exactly, also through JSON', () => {
    const seeds = fc.integer({ min: 0, max: 2 ** 31 });
    fc.assert(
      fc.property(seeds, fc.integer({ min: 0, max: 50 }), (seed, skip) => {
        const rng = createRng(seed);
        for (let i = 0; i < skip; i++) rng.uniform();
        const saved = JSON.parse(JSON.stringify(Array.from(rng.state()))) as number[];
        const resumed = restoreRng(saved);
        for (let i = 0; i < 5; i++) {
          expect(resumed.uniform()).toBe(rng.uniform());
          expect(resumed.normal()).toBe(rng.normal());
        }
      }),
    );
  });

  test('a checkpoint written as JSON with Array.from(rng.state()) resumes the sequence', () => {
    const rng = createRng(2024);
    for (let i = 0; i < 7; i++) rng.normal();
    const json = JSON.stringify({ step: 7, rng: Array.from(rng.state()) });
    const checkpoint = JSON.parse(json) as { step: number; rng: number[] };
    expect(checkpoint.rng).toHaveLength(4);
    const resumed = restoreRng(checkpoint.rng);
    expect(Array.from({ length: 6 }, () => resumed.uniform())).toEqual(Array.from({ length: 6 }, () => rng.uniform()));
  });

  test('restoreRng takes the Uint32Array of state() and any array-like of 4 words', () => {
    const rng = createRng(11);
    const words = rng.state();
    const fromTyped = restoreRng(words);
    const fromArrayLike = restoreRng({ length: 4, 0: words[0]!, 1: words[1]!, 2: words[2]!, 3: words[3]! });
    const expected = rng.uniform();
    expect(fromTyped.uniform()).toBe(expected);
    expect(fromArrayLike.uniform()).toBe(expected);
  });

  test('the JSON of the Uint32Array itself is an object: restoreRng names the argument and says what to store', () => {
    const parsed = JSON.parse(JSON.stringify(createRng(5).state())) as ArrayLike<number>;
    expect(Array.isArray(parsed)).toBe(false);
    expect(() => restoreRng(parsed)).toThrow(TypeError);
    expect(() => restoreRng(parsed)).toThrow(
      /^state must be the 4 words of rng.state\(\) as an array, e.g. Array.from\(rng.state\(\)\), got \{"0":\d+,"1":\d+,"2":\d+,"3":\d+\} \(JSON turns a Uint32Array into such an object: store Array.from\(rng.state\(\)\) instead\)$/,
    );
  });

  test('state() is a copy', () => {
    const rng = createRng(3);
    const state = rng.state();
    state[0] = 0;
    expect(rng.state()[0]).not.toBe(0);
  });

  test.each([
    ['seed −1', () => createRng(-1), /seed must be an integer in \[0, 2\^53 - 1\], got -1/],
    ['seed 1.5', () => createRng(1.5), /seed must be an integer .*got 1.5/],
    ['seed NaN', () => createRng(Number.NaN), /seed must be an integer .*got NaN/],
    ['state of 3 words', () => restoreRng([1, 2, 3]), /state must be 4 integers in \[0, 2\^32\), not all zero .*got \[1, 2, 3\]/],
    ['all-zero state', () => restoreRng([0, 0, 0, 0]), /not all zero/],
    ['state word 2^32', () => restoreRng([1, 2, 3, 2 ** 32]), /state must be 4 integers/],
    ['state word "1"', () => restoreRng(['1', 2, 3, 4] as unknown as number[]), /state must be 4 integers .*got \["1", 2, 3, 4\]/],
    ['no state', () => restoreRng(undefined as never), /^state must be the 4 words of rng.state\(\) as an array, e.g. Array.from\(rng.state\(\)\), got undefined$/],
    ['a string state', () => restoreRng('1234' as never), /state must be the 4 words of rng.state\(\) as an array, .*got "1234"$/],
  ])('%s throws', (_, run, message) => {
    expect(run).toThrow(message);
  });
});
