import type { Rng } from '@flowdit/timestep-shift';

/**
 * Standard normal noise from the seeded generator (not `tf.randomNormal`), so that a run's noise
 * is the same on every backend.
 * @param rng - the generator; it advances by one normal per value.
 * @param count - how many values.
 * @returns `count` float32 draws of N(0, 1).
 */
export function standardNormals(rng: Rng, count: number): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = rng.normal();
  return values;
}
