import { normalQuantile } from './normal.js';
import { describe } from './validate.js';

/**
 * A seeded pseudo-random generator: xoshiro128** (Blackman & Vigna) on four 32-bit words,
 * seeded through splitmix32. Only integer operations and `Math.imul` touch the state, so a seed
 * gives the same sequence on every machine and JavaScript engine.
 */
export interface Rng {
  /** A uniform draw in [0, 1) with 53 random bits. */
  uniform(): number;
  /** A standard normal draw: the inverse normal cdf at the midpoint of a 2^-52 cell (one per draw). */
  normal(): number;
  /**
   * A copy of the four state words; `restoreRng(state)` continues the sequence exactly. To store it
   * as JSON, store `Array.from(rng.state())`: `JSON.stringify` writes a typed array as an object.
   */
  state(): Uint32Array;
}

const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;
const TWO_POW_25 = 33554432;
const TWO_POW_52 = 4503599627370496;

/** The generator behind `createRng` and `restoreRng`; exported inside the package for the bulk fills. */
export class Xoshiro128 implements Rng {
  // An Int32Array keeps the words unboxed: plain number fields above 2^30 would be heap numbers.
  // The ziggurat's bulk loop reads and writes them in place.
  readonly words = new Int32Array(4);

  constructor(words: ArrayLike<number>) {
    for (let i = 0; i < 4; i++) this.words[i] = words[i]!;
  }

  /** The next 32-bit output as an unsigned integer. */
  nextUint32(): number {
    const s = this.words;
    const s1 = s[1]!;
    const product = Math.imul(s1, 5);
    const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s1;
    s[1] = s1 ^ s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    const s3 = s[3]!;
    s[3] = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  uniform(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * TWO_POW_26 + low) / TWO_POW_53;
  }

  normal(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 7;
    // The midpoint of a 2^-52 cell is exact and never 0 or 1, so |z| stays below 8.2.
    return normalQuantile((high * TWO_POW_25 + low + 0.5) / TWO_POW_52);
  }

  state(): Uint32Array {
    return new Uint32Array(this.words.slice().buffer);
  }
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Creates a seeded generator.
 * @param seed - a safe integer >= 0 (both 32-bit halves of it are used).
 * @returns a generator whose sequence depends only on `seed`.
 * @throws {RangeError} when `seed` is not a non-negative safe integer.
 */
export function createRng(seed: number): Rng {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`seed must be an integer in [0, 2^53 - 1], got ${describe(seed)}`);
  }
  const low = splitmix32(seed % 0x100000000);
  const high = splitmix32(Math.floor(seed / 0x100000000) ^ 0x6a09e667);
  const words = [0, 0, 0, 0].map(() => (low() ^ high()) >>> 0);
  // xoshiro must not start from the all-zero state.
  if (!words.some((word) => word !== 0)) words[0] = 1;
  return new Xoshiro128(words);
}

/**
 * Rebuilds a generator from `rng.state()`, e.g. to resume training from a checkpoint.
 * @param state - four unsigned 32-bit words, not all zero: `rng.state()` itself, or the plain array
 *   `Array.from(rng.state())`, which survives a JSON round trip.
 * @returns a generator that continues exactly where the saved one stood.
 * @throws {TypeError} when `state` is not array-like (for example `JSON.parse(JSON.stringify(rng.state()))`, an object).
 * @throws {RangeError} when `state` is not four integers in [0, 2^32) or is all zero.
 */
export function restoreRng(state: ArrayLike<number>): Rng {
  if (typeof state !== 'object' || state === null || typeof state.length !== 'number') {
    // JSON.stringify(new Uint32Array(…)) is {"0": …, "1": …}: say how to store the state instead.
    const fromJson =
      typeof state === 'object' && state !== null && '0' in state
        ? ' (JSON turns a Uint32Array into such an object: store Array.from(rng.state()) instead)'
        : '';
    throw new TypeError(
      `state must be the 4 words of rng.state() as an array, e.g. Array.from(rng.state()), got ${describeState(state)}${fromJson}`,
    );
  }
  const words = Array.from(state);
  const valid =
    words.length === 4 && words.every((word) => Number.isInteger(word) && word >= 0 && word < 0x100000000);
  if (!valid || !words.some((word) => word !== 0)) {
    throw new RangeError(
      `state must be 4 integers in [0, 2^32), not all zero (from rng.state()), got [${words.map(describe).join(', ')}]`,
    );
  }
  return new Xoshiro128(words);
}

function describeState(state: unknown): string {
  return typeof state === 'object' && state !== null ? JSON.stringify(state) : describe(state);
}

/**
 * Checks that `rng` is a generator, so a forgotten argument is named instead of failing inside a draw.
 * @param rng - the value passed as the generator.
 * @throws {TypeError} when `rng` has no `uniform()` and `normal()`.
 */
export function assertRng(rng: unknown): asserts rng is Rng {
  const candidate = rng as Partial<Rng> | null | undefined;
  if (typeof candidate?.uniform !== 'function' || typeof candidate.normal !== 'function') {
    throw new TypeError(`rng must be a generator from createRng(seed) or restoreRng(state), got ${describe(rng)}`);
  }
}

/**
 * Checks that `rng` is this package's own generator, whose 32-bit words the ziggurat reads directly.
 * @param rng - the value passed as the generator.
 * @throws {TypeError} when `rng` does not come from `createRng(seed)` or `restoreRng(state)`.
 */
export function assertSeededRng(rng: unknown): asserts rng is Xoshiro128 {
  if (!(rng instanceof Xoshiro128)) {
    throw new TypeError(
      `rng must be a generator from createRng(seed) or restoreRng(state) (the ziggurat reads its 32-bit words), got ${describe(rng)}`,
    );
  }
}
