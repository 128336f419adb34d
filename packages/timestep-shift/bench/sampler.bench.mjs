// Samples per second for 10^7 shifted logit-normal draws (shift 3): this package against numpy
// doing the same computation (normal, sigmoid, shift), side by side in one run. Then the variance
// reduction of stratified batches (a statistical measurement, not a timing).
// Run after a build: `npx pnpm@10.34.9 --filter @flowdit/timestep-shift bench`.
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createRng, sampleTimesteps, timestepDistribution } from '../dist/index.js';
import { batchMeanVariance } from './batch-mean-variance.mjs';

const N = 10_000_000;
const SHIFT = 3;
const REPEATS = 5;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function benchPackage() {
  const dist = timestepDistribution({ kind: 'shifted-logit-normal', shift: SHIFT });
  const rng = createRng(0);
  sampleTimesteps(dist, 1_000_000, rng); // warm-up: let the JIT compile the loop
  const seconds = [];
  let checksum = 0;
  for (let r = 0; r < REPEATS; r++) {
    const start = performance.now();
    const batch = sampleTimesteps(dist, N, rng);
    seconds.push((performance.now() - start) / 1000);
    checksum += batch[N - 1];
  }
  return { seconds: median(seconds), checksum };
}

const NUMPY = `
import time, numpy as np
n, shift, repeats = ${N}, ${SHIFT}, ${REPEATS}
rng = np.random.default_rng(0)
def draw():
    t = 1.0 / (1.0 + np.exp(-rng.standard_normal(n)))
    return t / (t + shift * (1.0 - t))
draw()
seconds = []
for _ in range(repeats):
    start = time.perf_counter(); t = draw(); seconds.append(time.perf_counter() - start)
print(sorted(seconds)[len(seconds) // 2], np.__version__)
`;

function benchNumpy() {
  try {
    const [seconds, version] = execFileSync('python3', ['-c', NUMPY], { encoding: 'utf8' }).trim().split(' ');
    return { seconds: Number(seconds), version };
  } catch (error) {
    return { skipped: `numpy not available (${String(error.message ?? error).split('\n')[0]})` };
  }
}

const rate = (seconds) => N / seconds;
const format = (perSecond) => `${(perSecond / 1e6).toFixed(1)} M samples/s`;

const ours = benchPackage();
const numpy = benchNumpy();
console.log(`10^7 shifted logit-normal draws (shift ${SHIFT}), median of ${REPEATS} runs, node ${process.version}`);
console.log(`  @flowdit/timestep-shift  ${format(rate(ours.seconds))}  (${ours.seconds.toFixed(3)} s)`);
if (numpy.skipped) {
  console.log(`  numpy                    skipped: ${numpy.skipped}`);
} else {
  console.log(`  numpy ${numpy.version.padEnd(18)} ${format(rate(numpy.seconds))}  (${numpy.seconds.toFixed(3)} s)`);
  console.log(`  ratio (ours / numpy)     ${(numpy.seconds / ours.seconds).toFixed(2)}x`);
}

const BATCHES = 20_000;
const dist = timestepDistribution({ kind: 'shifted-logit-normal', shift: SHIFT });
const functions = [
  ['sin(πt)', (t) => Math.sin(Math.PI * t)],
  ['(1 − t)² + 0.1', (t) => (1 - t) ** 2 + 0.1],
];
console.log(`\nVariance of the batch mean of g(t), ${BATCHES} seeded batches, shifted logit-normal (shift ${SHIFT})`);
console.log('  g(t)             batch  independent   stratified   reduction');
for (const [name, g] of functions) {
  for (const batchSize of [8, 32]) {
    const independent = batchMeanVariance({ createRng, sampleTimesteps }, dist, g, batchSize, false, BATCHES);
    const stratified = batchMeanVariance({ createRng, sampleTimesteps }, dist, g, batchSize, true, BATCHES);
    console.log(
      `  ${name.padEnd(16)} ${String(batchSize).padStart(5)}  ${independent.toExponential(3).padStart(11)}  ${stratified
        .toExponential(3)
        .padStart(11)}  ${(independent / stratified).toFixed(1).padStart(9)}x`,
    );
  }
}
