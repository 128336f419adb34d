// Samples per second for 10^7 shifted logit-normal draws (shift 3): this package's two paths
// (fillTimesteps with the ziggurat normal into one reused Float64Array, and sampleTimesteps with
// the inverse cdf) against numpy doing the same computation (normal, sigmoid, shift), side by side
// in one run. Then the variance reduction of stratified batches (a statistical measurement, not a
// timing). Run after a build: `npx pnpm@10.34.9 --filter @flowdit/timestep-shift bench`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { createRng, fillTimesteps, sampleTimesteps, timestepDistribution } from '../dist/index.js';
import { batchMeanVariance } from './batch-mean-variance.mjs';

const N = 10_000_000;
const SHIFT = 3;
const REPEATS = 7;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// numpy waits for a line on stdin before each timed draw, so its runs interleave with ours and a
// change in the machine's load hits both sides alike.
const NUMPY = `
import sys, time, numpy as np
n, shift = ${N}, ${SHIFT}
rng = np.random.default_rng(0)
def draw():
    t = 1.0 / (1.0 + np.exp(-rng.standard_normal(n)))
    return t / (t + shift * (1.0 - t))
draw()
print(np.__version__, flush=True)
for _ in sys.stdin:
    start = time.perf_counter(); t = draw(); print(time.perf_counter() - start, flush=True)
`;

// Debian's python3 with python3-numpy, as the project's reference vectors use, where it is installed.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Starts numpy's side; resolves to `{ version, time() }`, or `{ skipped }` without python3 or numpy. */
async function startNumpy() {
  const child = spawn(PYTHON, ['-c', NUMPY], { stdio: ['pipe', 'pipe', 'pipe'] });
  let failure = '';
  child.on('error', (error) => {
    failure = error.message;
  });
  child.stderr.on('data', (chunk) => {
    failure ||= String(chunk).trim().split('\n').pop();
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) return { skipped: `numpy not available (${failure || 'python3 exited'})` };
  return {
    version: first.value.trim(),
    async time() {
      child.stdin.write('\n');
      return Number((await lines.next()).value);
    },
    close: () => child.stdin.end(),
  };
}

function timeOnce(draw) {
  const start = performance.now();
  draw();
  return (performance.now() - start) / 1000;
}

const dist = timestepDistribution({ kind: 'shifted-logit-normal', shift: SHIFT });
const rng = createRng(0);
const out = new Float64Array(N);
const drawZiggurat = (n = N) => fillTimesteps(dist, out.subarray(0, n), rng);
const drawInverseCdf = (n = N) => sampleTimesteps(dist, n, rng);
const numpy = await startNumpy();
// Warm-up: let the JIT compile both paths before the timed rounds.
for (let i = 0; i < 50; i++) {
  drawZiggurat(100_000);
  drawInverseCdf(100_000);
}
const seconds = { ziggurat: [], inverseCdf: [], numpy: [] };
for (let r = 0; r < REPEATS; r++) {
  seconds.ziggurat.push(timeOnce(drawZiggurat));
  seconds.inverseCdf.push(timeOnce(drawInverseCdf));
  if (!numpy.skipped) seconds.numpy.push(await numpy.time());
}
numpy.close?.();

const format = (seconds) => `${(N / seconds / 1e6).toFixed(1)} M samples/s  (${seconds.toFixed(3)} s)`;
console.log(`10^7 shifted logit-normal draws (shift ${SHIFT}), median of ${REPEATS} interleaved rounds, node ${process.version}`);
// Other processes share the cores: the load average says how much the rates below are diluted.
const load = loadavg().map((x) => x.toFixed(2)).join(', ');
console.log(`  ${cpus().length} cores, load average ${load} (1, 5, 15 min)`);
const ziggurat = median(seconds.ziggurat);
const inverseCdf = median(seconds.inverseCdf);
console.log(`  @flowdit/timestep-shift fillTimesteps (ziggurat)       ${format(ziggurat)}`);
console.log(`  @flowdit/timestep-shift sampleTimesteps (inverse cdf)  ${format(inverseCdf)}`);
if (numpy.skipped) {
  console.log(`  numpy skipped: ${numpy.skipped}`);
} else {
  const numpySeconds = median(seconds.numpy);
  console.log(`  numpy ${numpy.version} standard_normal, sigmoid, shift     ${format(numpySeconds)}`);
  // The median of the per-round ratios: a round's three timings are seconds apart, so they share a load.
  const ratios = (ours) => ours.map((s, r) => seconds.numpy[r] / s);
  const shown = (ours) => `${median(ratios(ours)).toFixed(2)}x (rounds ${ratios(ours).map((x) => x.toFixed(2)).join(', ')})`;
  console.log(`  speed ratio (fillTimesteps / numpy)    ${shown(seconds.ziggurat)}`);
  console.log(`  speed ratio (sampleTimesteps / numpy)  ${shown(seconds.inverseCdf)}`);
}

const BATCHES = 20_000;
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
