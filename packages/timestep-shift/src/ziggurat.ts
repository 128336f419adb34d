import { logistic } from './logistic.js';
import { erfc } from './normal.js';
import type { Rng, Xoshiro128 } from './rng.js';
import { assertSeededRng } from './rng.js';
import { assertFloatArray } from './validate.js';

// Marsaglia & Tsang's ziggurat (2000) for the standard normal, with 256 layers of equal area under
// f(x) = e^(−x²/2) on x >= 0 and float64 magnitudes of 53 random bits (two 32-bit words a draw).

/** The ziggurat's layers, for the draws and for the tests that check their areas. */
export interface ZigguratTables {
  /** Area of every layer: r·f(r) + ∫_r^∞ f for the base, the rectangle x_i·(f(x_{i+1}) − f(x_i)) above. */
  readonly layerArea: number;
  /** x_0 = layerArea/f(r) (the base layer's width, tail folded in), x_1 = r, …, x_256 = 0: decreasing. */
  readonly edges: Float64Array;
  /** f(x_i): increasing, f(x_256) = 1. */
  readonly heights: Float64Array;
  /** Indexed by layer + 256·sign: ±x_i·2^-53, the factor that turns a 53-bit integer into a magnitude. */
  readonly signedScales: Float64Array;
  /** Indexed as `signedScales`: ⌊2^53·x_{i+1}/x_i⌋, below which the point lies under the curve. */
  readonly rectangleBounds: Float64Array;
}

/** `fillFromZiggurat`'s signature. */
type ZigguratFill = (
  rng: Xoshiro128,
  out: Float64Array | Float32Array,
  location: number,
  scale: number,
  logisticOfNormal: boolean,
) => void;

// Everything the draws read lives in this closure's `const`s, not at the top of the module: the
// bundler turns a module's top-level `const` into `var`, which the JIT loads at every use, while a
// closure's `const` it folds into the compiled loop (the bulk fill was 10 to 30 % slower).
function buildZiggurat(): { tables: ZigguratTables; fill: ZigguratFill } {
  const LAYERS = 256;
  /**
   * Where the base layer's rectangle ends and its tail begins: the r for which 256 layers of equal
   * area close exactly at the mode (the top layer's upper edge at x = 0, f = 1), solved with 40-digit
   * mpmath; float64 keeps the closure to 2e-15.
   */
  const TAIL_START = 3.654152885361009;
  const TWO_POW_30 = 1073741824;
  const TWO_POW_53 = 9007199254740992;
  const CHUNK = 4096;

  const density = (x: number) => Math.exp(-0.5 * x * x);

  const layerArea = TAIL_START * density(TAIL_START) + Math.sqrt(Math.PI / 2) * erfc(TAIL_START / Math.SQRT2);
  const edges = new Float64Array(LAYERS + 1);
  edges[0] = layerArea / density(TAIL_START);
  edges[1] = TAIL_START;
  for (let i = 1; i < LAYERS - 1; i++) {
    edges[i + 1] = Math.sqrt(-2 * Math.log(density(edges[i]!) + layerArea / edges[i]!));
  }
  edges[LAYERS] = 0;
  const heights = edges.map(density);
  const signedScales = new Float64Array(2 * LAYERS);
  const rectangleBounds = new Float64Array(2 * LAYERS);
  for (let cell = 0; cell < 2 * LAYERS; cell++) {
    const layer = cell % LAYERS;
    signedScales[cell] = ((cell < LAYERS ? 1 : -1) * edges[layer]!) / TWO_POW_53;
    rectangleBounds[cell] = Math.floor((edges[layer + 1]! / edges[layer]!) * TWO_POW_53);
  }
  const tables = { layerArea, edges, heights, signedScales, rectangleBounds };

  /** The normals of one chunk of a logistic fill, before the logistic. */
  const chunkNormals = new Float64Array(CHUNK);

  function fillFromZiggurat(
    rng: Xoshiro128,
    out: Float64Array | Float32Array,
    location: number,
    scale: number,
    logisticOfNormal: boolean,
  ): void {
    // One call of the loop per chunk, so the JIT sees the loop's function called often and compiles
    // it whole. A single call over 10^7 draws got only the loop compiled on the fly, without type
    // feedback for the code after it, and deoptimized there: every long call began in the interpreter.
    for (let start = 0; start < out.length; start += CHUNK) {
      const end = Math.min(out.length, start + CHUNK);
      if (!logisticOfNormal) {
        fillNormalRange(rng, out, start, end);
        continue;
      }
      // The normals go to a float64 buffer that stays in cache (a Float32Array `out` must not round
      // them), and the logistic runs as a second pass: two short loops beat one long one here.
      fillNormalRange(rng, chunkNormals, 0, end - start);
      for (let i = start; i < end; i++) out[i] = logistic(location + scale * chunkNormals[i - start]!);
    }
  }

  /**
   * Fills `out[start..end)` with ziggurat normals. The generator's four words live in locals for the whole loop (read from
   * and written back to `rng.words`), which halves the cost of a draw against `rng.nextUint32()`; the
   * step below is xoshiro128**'s, word for word, and the tests check that it gives `nextUint32`'s
   * sequence. No state besides the four words, so `rng.state()` and `restoreRng` resume it exactly.
   */
  function fillNormalRange(rng: Xoshiro128, out: Float64Array | Float32Array, start: number, end: number): void {
    const words = rng.words;
    let s0 = words[0]!;
    let s1 = words[1]!;
    let s2 = words[2]!;
    let s3 = words[3]!;
    for (let i = start; i < end; i++) {
      let z: number;
      for (;;) {
        let product = Math.imul(s1, 5);
        const high = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
        let shifted = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= shifted;
        s3 = (s3 << 11) | (s3 >>> 21);
        product = Math.imul(s1, 5);
        const low = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
        shifted = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= shifted;
        s3 = (s3 << 11) | (s3 >>> 21);
        // Bits 0–7 of the first word pick the layer, bit 8 the sign, and its other 23 bits with 30 of
        // the second make the magnitude: disjoint bits, so the layer and the value are independent.
        const cell = high & (2 * LAYERS - 1);
        const magnitude = (high >>> 9) * TWO_POW_30 + (low >>> 2);
        if (magnitude < rectangleBounds[cell]!) {
          z = magnitude * signedScales[cell]!;
          break;
        }
        words[0] = s0;
        words[1] = s1;
        words[2] = s2;
        words[3] = s3;
        z = outsideRectangle(rng, cell, magnitude);
        s0 = words[0]!;
        s1 = words[1]!;
        s2 = words[2]!;
        s3 = words[3]!;
        if (!Number.isNaN(z)) break;
      }
      out[i] = z;
    }
    words[0] = s0;
    words[1] = s1;
    words[2] = s2;
    words[3] = s3;
  }

  // The 1.5 % of draws that fall outside their layer's inner rectangle: the tail beyond r from the
  // base layer, or the wedge between the rectangle and the curve, where the point is kept if it lies
  // under f and otherwise NaN asks for a fresh draw.
  function outsideRectangle(rng: Xoshiro128, cell: number, magnitude: number): number {
    const layer = cell % LAYERS;
    const sign = cell < LAYERS ? 1 : -1;
    if (layer === 0) {
      // Marsaglia (1964): x = −ln(u₁)/r, y = −ln(u₂), kept when 2y > x², gives r + x from the tail.
      for (;;) {
        const x = -Math.log(1 - rng.uniform()) / TAIL_START;
        const y = -Math.log(1 - rng.uniform());
        if (y + y > x * x) return sign * (TAIL_START + x);
      }
    }
    const x = magnitude * Math.abs(signedScales[cell]!);
    const y = heights[layer]! + rng.uniform() * (heights[layer + 1]! - heights[layer]!);
    return y < density(x) ? sign * x : Number.NaN;
  }

  return { tables, fill: fillFromZiggurat };
}

const ziggurat = /* @__PURE__ */ buildZiggurat();
export const zigguratTables: ZigguratTables = ziggurat.tables;
/**
 * Fills `out` with ziggurat normals z, or with `logistic(location + scale·z)` when `logisticOfNormal`.
 * @param rng - the package's generator (checked by the caller).
 * @param out - the array to fill.
 * @param location - added to z before the logistic (unused otherwise).
 * @param scale - multiplies z before the logistic (unused otherwise).
 * @param logisticOfNormal - whether to store the logistic of the scaled normal instead of z.
 */
export const fillFromZiggurat: ZigguratFill = ziggurat.fill;

/**
 * Fills `out` with independent standard normal draws from the ziggurat (Marsaglia & Tsang, 256
 * layers, 53-bit magnitudes), the normal of `fillTimesteps`' fast path. `rng.normal()` stays the
 * inverse cdf, so the two give different numbers from the same seed. Nothing is allocated per draw,
 * and the generator's four words are all the state there is: `restoreRng(rng.state())` continues
 * the same sequence, and filling `a` then `b` gives what one array of both lengths would hold.
 * @param out - the array to fill; a Float32Array gets each draw rounded to float32.
 * @param rng - a generator from `createRng(seed)` or `restoreRng(state)`; it advances by two 32-bit
 *   words for 98.5 % of the draws and more for the others (tail and wedge).
 * @returns `out`.
 * @throws {TypeError} when `out` is not a Float64Array or Float32Array, or `rng` is not the package's generator.
 */
export function fillStandardNormal<T extends Float64Array | Float32Array>(out: T, rng: Rng): T {
  assertFloatArray('out', out);
  assertSeededRng(rng);
  fillFromZiggurat(rng, out, 0, 1, false);
  return out;
}
