import type { Rng, sampleTimesteps, TimestepDistribution } from '../src/index.js';

export function batchMeanVariance(
  sampler: { createRng: (seed: number) => Rng; sampleTimesteps: typeof sampleTimesteps },
  dist: TimestepDistribution,
  g: (t: number) => number,
  batchSize: number,
  stratified: boolean,
  batches: number,
): number;
