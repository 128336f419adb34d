import type { TimestepDistribution } from './distributions.js';
import { discreteValues } from './distributions.js';
import type { Rng } from './rng.js';
import { assertRng, restoreRng } from './rng.js';
import { assertInteger, describe } from './validate.js';

/** The saved position of a {@link StratifiedStream}: plain numbers, JSON-safe. */
export interface StratifiedStreamState {
  /** The generator's four words, `Array.from(rng.state())`. */
  readonly rng: number[];
  /** K, the number of quantile strata in a cycle. */
  readonly strata: number;
  /** The current cycle's strata in the order they are handed out (empty before the first draw). */
  readonly order: number[];
  /** How many of `order` have been handed out. */
  readonly position: number;
}

/** Training times drawn one stratum per draw: every K draws cover each quantile slice [i/K, (i+1)/K) once. */
export interface StratifiedStream {
  /** The generator the stream draws from (shuffles and the draw inside each stratum). */
  readonly rng: Rng;
  /** The next training time, in the distribution's convention. */
  next(): number;
  /** The next `n` training times (`n` an integer >= 1), as `n` calls of `next()`. */
  take(n: number): Float64Array;
  /** A JSON-safe copy of the stream's position; {@link restoreStratifiedStream} continues from it exactly. */
  state(): StratifiedStreamState;
}

class QuantileStrataStream implements StratifiedStream {
  constructor(
    private readonly dist: TimestepDistribution,
    readonly rng: Rng,
    private readonly strata: number,
    private order: number[],
    private position: number,
  ) {}

  next(): number {
    if (this.position === this.order.length) {
      // A new cycle: a Fisher–Yates shuffle of 0..K−1 with the stream's generator.
      const order = Array.from({ length: this.strata }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(this.rng.uniform() * (i + 1));
        const swap = order[i]!;
        order[i] = order[j]!;
        order[j] = swap;
      }
      this.order = order;
      this.position = 0;
    }
    const stratum = this.order[this.position++]!;
    return this.dist.quantile((stratum + this.rng.uniform()) / this.strata);
  }

  take(n: number): Float64Array {
    assertInteger('n', n, 1);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next();
    return out;
  }

  state(): StratifiedStreamState {
    return { rng: Array.from(this.rng.state()), strata: this.strata, order: [...this.order], position: this.position };
  }
}

function assertDistribution(dist: unknown): asserts dist is TimestepDistribution {
  if (typeof (dist as Partial<TimestepDistribution> | null)?.quantile !== 'function') {
    throw new TypeError(`dist must be a distribution from timestepDistribution(spec), got ${describe(dist)}`);
  }
}

/**
 * A stream of training times stratified across steps, in quantile space: each cycle of K draws takes
 * one value from each slice [i/K, (i+1)/K) of the law's probability, the slices in a shuffled order,
 * so at batch size 1 (or any batch size) K consecutive steps cover the law evenly. It works for every
 * law (it only needs `quantile`). musubi-tuner's `--num_timestep_buckets` does the same on its
 * uniform input before its transform; here the strata are of the law itself.
 * @param dist - the distribution; values are in its convention (t = 0 noise unless it says 'sigma').
 * @param rng - the generator to draw from (from `createRng(seed)`); the stream advances it.
 * @param strata - K, an integer >= 1 (K = 1 is independent draws by the quantile).
 * @returns the stream.
 * @throws {RangeError} when `strata` is not an integer >= 1.
 * @throws {TypeError} when `dist` or `rng` is missing.
 */
export function stratifiedStream(dist: TimestepDistribution, rng: Rng, strata: number): StratifiedStream {
  assertDistribution(dist);
  assertRng(rng);
  assertInteger('strata', strata, 1);
  return new QuantileStrataStream(dist, rng, strata, [], 0);
}

/**
 * Rebuilds a stream from `stream.state()` (or its JSON round trip), e.g. when training resumes: it
 * continues the same cycle with the same generator sequence.
 * @param dist - the same distribution the stream was made with.
 * @param state - the saved state.
 * @returns the stream; its `rng` is a new generator restored from `state.rng`.
 * @throws {RangeError} when `state` does not describe a stream position (the message names the field).
 * @throws {TypeError} when `dist` is missing or `state.rng` is not the generator's words.
 */
export function restoreStratifiedStream(dist: TimestepDistribution, state: StratifiedStreamState): StratifiedStream {
  assertDistribution(dist);
  if (typeof state !== 'object' || state === null) {
    throw new TypeError(`state must be the object of stream.state(), got ${describe(state)}`);
  }
  const { strata, order, position } = state;
  assertInteger('state.strata', strata, 1);
  const isPermutation =
    Array.isArray(order) &&
    (order.length === 0 || order.length === strata) &&
    [...order].sort((a, b) => a - b).every((value, i) => value === i);
  if (!isPermutation) {
    throw new RangeError(
      `state.order must be empty or a permutation of 0..${strata - 1}, got ${Array.isArray(order) ? `[${order.map(describe).join(', ')}]` : describe(order)}`,
    );
  }
  if (!Number.isSafeInteger(position) || position < 0 || position > order.length) {
    throw new RangeError(`state.position must be an integer in [0, ${order.length}], got ${describe(position)}`);
  }
  return new QuantileStrataStream(dist, restoreRng(state.rng), strata, [...order], position);
}

/** The saved position of a {@link RoundRobinStream}. */
export interface RoundRobinState {
  /** Index of the next value in the list, in [0, length). */
  readonly position: number;
}

/** A fixed list of training times handed out in list order, over and over. */
export interface RoundRobinStream {
  /** The next value, in the distribution's convention. */
  next(): number;
  /** The next `n` values (`n` an integer >= 1). */
  take(n: number): Float64Array;
  /** `{ position }`, JSON-safe; pass it back to {@link roundRobinStream} to continue. */
  state(): RoundRobinState;
}

/**
 * Cycles through the list of a `discrete` distribution in the order it was given (shifted and in its
 * convention, as the distribution returns them), as trainers with a fixed timestep list and a cursor
 * do; the cursor is the whole state.
 * @param dist - a distribution from `timestepDistribution({ kind: 'discrete', values })`.
 * @param state - where to start (default `{ position: 0 }`), e.g. a saved `stream.state()`.
 * @returns the stream.
 * @throws {RangeError} when `dist` is not a discrete distribution or `state.position` is not an index of its list.
 */
export function roundRobinStream(dist: TimestepDistribution, state: RoundRobinState = { position: 0 }): RoundRobinStream {
  assertDistribution(dist);
  const spec = dist.spec;
  if (spec.kind !== 'discrete') {
    throw new RangeError(`dist must be a 'discrete' distribution (a fixed list of times), got kind ${describe(spec.kind)}`);
  }
  const values = discreteValues(spec.values, spec.shift ?? 1, dist.convention);
  let position = state?.position;
  if (!Number.isSafeInteger(position) || position < 0 || position >= values.length) {
    throw new RangeError(`state.position must be an integer in [0, ${values.length - 1}], got ${describe(position)}`);
  }
  const next = (): number => {
    const value = values[position]!;
    position = (position + 1) % values.length;
    return value;
  };
  return {
    next,
    take(n) {
      assertInteger('n', n, 1);
      return Float64Array.from({ length: n }, next);
    },
    state: () => ({ position }),
  };
}
