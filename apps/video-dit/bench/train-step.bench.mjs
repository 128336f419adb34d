// One training step of a preset (default `small`) on each available tfjs backend, side by side with
// the same model and batch in PyTorch (bench/torch_dit.py, Debian's python3-torch) with the reference
// BLAS and with OpenBLAS. Prints ms/step and ratios, then what one step costs in calls: tfjs kernels
// and, on webgpu, dispatches, bind groups, buffers created, buffer writes (uniforms and the batch),
// uploads, submits and readbacks. On webgpu, a replayed step's issue time is split into its parts
// and set beside Dawn alone encoding and submitting as many dispatches (see issueTimes, dawnAlone).
// Run after `pnpm build`: node bench/train-step.bench.mjs
// cpu and wasm also run with the batch shared by 2 threads (train.threads) where 2 cores exist.
// Options: --steps N (timed steps on every backend and in PyTorch, after 5 warm-up steps),
// --preset NAME, --batch-size N, --backends a,b (tfjs backends to run), --no-torch (tfjs rows only),
// --torch-device cuda (PyTorch on the GPU instead of its CPU BLAS rows), --json FILE (one JSON
// line per row, counts included). A row that fails (out of GPU memory) says so and the rest run. webgpu runs where an adapter exists; with
// lavapipe (scripts/setup-lavapipe.sh, then source .vendor/lavapipe/env) it is a software adapter at CPU speed.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, backendLabel, countWork, initBackend, presetConfig, Trainer } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: flags } = parseArgs({
  options: {
    steps: { type: 'string' },
    preset: { type: 'string', default: 'small' },
    'batch-size': { type: 'string' },
    backends: { type: 'string', default: 'cpu,wasm,webgpu,tensorflow' },
    'no-torch': { type: 'boolean' },
    'torch-device': { type: 'string', default: 'cpu' },
    json: { type: 'string' },
  },
});
function positiveIntegerFlag(name) {
  if (flags[name] === undefined) return undefined;
  const value = Number(flags[name]);
  if (!(Number.isInteger(value) && value >= 1)) throw new RangeError(`--${name} must be a positive integer, got '${flags[name]}'`);
  return value;
}
const stepsFlag = positiveIntegerFlag('steps');
const batchSize = positiveIntegerFlag('batch-size');
const preset = presetConfig(flags.preset);
const config = batchSize === undefined ? preset : { ...preset, train: { ...preset.train, batchSize } };
const { model, train } = config;
const STEPS = { cpu: 3, wasm: 20, webgpu: 20, tensorflow: 10 };
// A worker thread reaches its steady speed only after a few steps (its wasm heap grows, V8 compiles).
const WARMUP_STEPS = 5;
const rows = [];
// The RoPE table the model trains with, which the PyTorch model is given.
let rope;

console.log(
  `train-step bench: ${flags.preset} preset, ${model.frames}×${model.height}×${model.width} clips, patch ${model.patch.join('×')}, ` +
    `hidden ${model.hidden}, depth ${model.depth}, heads ${model.heads}, batch ${train.batchSize}`,
);

/** Time spent waiting for GPU reads (mapAsync until it resolves), summed over the run. */
function gpuWaits() {
  const device = tf.backend().device;
  const probe = device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const prototype = Object.getPrototypeOf(probe);
  probe.destroy();
  let total = 0;
  const mapAsync = prototype.mapAsync;
  prototype.mapAsync = function (...args) {
    const asked = performance.now();
    return mapAsync.apply(this, args).finally(() => {
      total += performance.now() - asked;
    });
  };
  return { total: () => total };
}

/** The middle value (the upper of the two middle ones for an even count). */
function median(values) {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

/**
 * The issue time of a step: from its start until its last submit returns, measured one step at a
 * time so that each starts with the GPU idle (lavapipe runs the GPU's work on the same cores). It
 * is also split where a replayed step's parts meet: until its first compute pass begins (the
 * batch, the inputs, the update's numbers), until its last submit is called (the pass's commands:
 * Dawn's encoding of each recorded dispatch), and that submit (Dawn's translation for the driver).
 */
async function issueTimes(trainer, steps) {
  const { queue } = tf.backend().device;
  const probe = tf.backend().device.createCommandEncoder();
  const encoderClass = Object.getPrototypeOf(probe);
  probe.finish();
  const { submit } = queue;
  const { beginComputePass } = encoderClass;
  let firstPass;
  let submitCalled = 0;
  let lastSubmit = 0;
  queue.submit = function (...args) {
    submitCalled = performance.now();
    const result = submit.apply(this, args);
    lastSubmit = performance.now();
    return result;
  };
  encoderClass.beginComputePass = function (...args) {
    firstPass ??= performance.now();
    return beginComputePass.apply(this, args);
  };
  const times = [];
  const parts = { prepare: [], encode: [], submit: [] };
  try {
    for (let i = 0; i < steps; i++) {
      firstPass = undefined;
      const started = performance.now();
      await trainer.trainStep();
      times.push(lastSubmit - started);
      parts.prepare.push((firstPass ?? submitCalled) - started);
      parts.encode.push(submitCalled - (firstPass ?? submitCalled));
      parts.submit.push(lastSubmit - submitCalled);
    }
  } finally {
    queue.submit = submit;
    encoderClass.beginComputePass = beginComputePass;
  }
  const split = Object.fromEntries(Object.entries(parts).map(([part, values]) => [part, median(values)]));
  return { mean: times.reduce((a, b) => a + b, 0) / steps, median: median(times), split };
}

/**
 * Dawn alone, on the same device: encoding `count` dispatches, each of its own pipeline and its
 * own bind group of five buffers, into one pass, and submitting them, as a replayed step does
 * with no JavaScript around the calls. Timed with warm caches (the same calls again and again)
 * and after GPU work on a 16 MiB buffer (on lavapipe that work runs on the same cores, as a
 * step's does, and leaves the caches cold). Medians of 100 rounds each.
 */
async function dawnAlone(device, count) {
  const inputs = 3;
  const declarations = Array.from({ length: inputs }, (_, j) => `@group(0) @binding(${j + 2}) var<storage, read> b${j} : array<f32>;`).join('\n');
  const terms = Array.from({ length: inputs }, (_, j) => `b${j}[i]`).join(' + ');
  const pipelines = Array.from({ length: count }, (_, k) =>
    device.createComputePipeline({
      layout: 'auto',
      compute: {
        module: device.createShaderModule({
          code: `@group(0) @binding(0) var<storage, read_write> a : array<f32>;
            @group(0) @binding(1) var<uniform> u : vec4<f32>;
            ${declarations}
            @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g : vec3<u32>) {
              let i = g.x % 64u;
              a[i] = a[i] * u.x + ${terms} + ${k}.0;
            }`,
        }),
        entryPoint: 'main',
      },
    }),
  );
  const made = [];
  const buffer = (size, usage) => {
    const b = device.createBuffer({ size, usage });
    made.push(b);
    return b;
  };
  const out = buffer(256, GPUBufferUsage.STORAGE);
  const uniform = buffer(16, GPUBufferUsage.UNIFORM);
  const groups = pipelines.map((pipeline) =>
    device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [out, uniform, ...Array.from({ length: inputs }, () => buffer(256, GPUBufferUsage.STORAGE))].map((b, binding) => ({ binding, resource: { buffer: b } })),
    }),
  );
  const sweepBuffer = buffer(16 * 1024 * 1024, GPUBufferUsage.STORAGE);
  const sweep = device.createComputePipeline({
    layout: 'auto',
    compute: {
      module: device.createShaderModule({
        code: `@group(0) @binding(0) var<storage, read_write> s : array<f32>;
          @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g : vec3<u32>) { s[g.x] = s[g.x] * 0.5 + 1.0; }`,
      }),
      entryPoint: 'main',
    },
  });
  const sweepGroup = device.createBindGroup({ layout: sweep.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: sweepBuffer } }] });
  const timed = async (cold) => {
    const encode = [];
    const submit = [];
    for (let round = 0; round < 110; round++) {
      if (cold) {
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        pass.setPipeline(sweep);
        pass.setBindGroup(0, sweepGroup);
        pass.dispatchWorkgroups(sweepBuffer.size / 4 / 64 / 64, 64);
        pass.end();
        device.queue.submit([encoder.finish()]);
      }
      await device.queue.onSubmittedWorkDone();
      const started = performance.now();
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      for (let k = 0; k < count; k++) {
        pass.setPipeline(pipelines[k]);
        pass.setBindGroup(0, groups[k]);
        pass.dispatchWorkgroups(1);
      }
      pass.end();
      const commands = encoder.finish();
      const encoded = performance.now();
      device.queue.submit([commands]);
      const submitted = performance.now();
      if (round >= 10) {
        encode.push(encoded - started);
        submit.push(submitted - encoded);
      }
    }
    return { encode: median(encode), submit: median(submit) };
  };
  try {
    return { warm: await timed(false), cold: await timed(true) };
  } finally {
    await device.queue.onSubmittedWorkDone();
    for (const b of made) b.destroy();
  }
}

for (const backend of flags.backends.split(',')) {
  let info;
  try {
    info = await initBackend(backend);
  } catch (error) {
    if (!(error instanceof BackendUnavailableError)) throw error;
    console.log(`${backend}: skipped (${error.message})`);
    continue;
  }
  // The CPU backends run one thread each; with 2 or more cores they also run data-parallel
  // (train.threads: the batch shared by worker threads, each with its own backend).
  const cpuBackend = backend === 'cpu' || backend === 'wasm';
  // webgpu runs op by op and replaying its recorded step (train.capture)
  const variants = cpuBackend
    ? (availableParallelism() >= 2 ? [1, 2] : [1]).map((threads) => ({ threads, capture: 'off' }))
    : [
        { threads: 1, capture: 'off' },
        { threads: 1, capture: 'auto' },
      ];
  const waits = backend === 'webgpu' ? gpuWaits() : undefined;
  for (const { threads, capture } of variants) {
    const name = `tfjs ${backendLabel(info)}${threads > 1 ? ` ×${threads} threads` : ''}${capture === 'auto' ? ' replayed' : ''}`;
    const trainer = new Trainer({ ...config, train: { ...train, threads, capture } });
    rope ??= trainer.model.rope.table;
    try {
      for (let i = 0; i < WARMUP_STEPS; i++) await trainer.trainStep();
      // Worker threads run their own kernels: the counts are of this thread's share of the batch.
      const { work } = await countWork(() => trainer.trainStep());
      const n = stepsFlag ?? STEPS[backend];
      const waited = waits?.total() ?? 0;
      const started = performance.now();
      // as the training loop takes them: on webgpu several steps issued before their losses are read
      for (let i = 0; i < n; i += trainer.stepsPerRead) await trainer.trainSteps(Math.min(trainer.stepsPerRead, n - i));
      const ms = (performance.now() - started) / n;
      // JavaScript's part of a step: its time less the time spent waiting for the GPU's results
      const jsMs = waits === undefined ? undefined : ms - (waits.total() - waited) / n;
      const issue = waits === undefined ? undefined : await issueTimes(trainer, n);
      // what the same number of dispatches costs in Dawn with nothing around them
      const dawn = capture === 'auto' && work.gpu !== undefined ? await dawnAlone(tf.backend().device, work.gpu.dispatches) : undefined;
      // The device description's first clause names the adapter or device; its limits follow.
      const where = cpuBackend ? (threads === 1 ? 'one thread' : `batch shared by ${threads} threads`) : info.description.split(';')[0];
      const replay = capture === 'auto' ? `, capture ${trainer.captureStatus}` : '';
      rows.push({ name, ms, jsMs, issue, dawnAlone: dawn, note: `${n} steps, ${where}${replay}`, threads, work });
    } catch (error) {
      rows.push({ name, ms: Number.NaN, note: `failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, threads });
    } finally {
      trainer.dispose();
    }
  }
}

const python = '/usr/bin/python3';
const hasTorch = !flags['no-torch'] && (() => {
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (flags['no-torch']) {
  console.log('pytorch: skipped (--no-torch)');
} else if (!hasTorch) {
  console.log(`pytorch: skipped (${python} cannot import torch; install Debian's python3-torch and libopenblas0-pthread)`);
} else {
  // the table the model trains with, from a model on cpu when no tfjs row made one
  if (rope === undefined) {
    await initBackend('cpu');
    const trainer = new Trainer(config);
    rope = trainer.model.rope.table;
    trainer.dispose();
  }
  const spec = JSON.stringify({
    model,
    batchSize: train.batchSize,
    warmup: WARMUP_STEPS,
    steps: stepsFlag ?? 10,
    ropeCos: Array.from(rope.cos),
    ropeSin: Array.from(rope.sin),
  });
  // Debian's torch links libblas.so.3; each library's own folder holds a libblas.so.3, so the
  // loader path picks which one this process uses (the figure says which it really loaded).
  const multiarch = '/usr/lib/x86_64-linux-gnu';
  // torch picks its own intra-op thread count; with 2 cores the OpenBLAS run is repeated with 2
  // threads, as the tfjs wasm rows run with 1 and 2.
  const variants =
    flags['torch-device'] === 'cuda'
      ? [{ label: 'CUDA', device: 'cuda' }]
      : [
          { label: 'reference BLAS', dir: join(multiarch, 'blas') },
          { label: 'OpenBLAS (pthread)', dir: join(multiarch, 'openblas-pthread') },
          ...(availableParallelism() >= 2 ? [{ label: 'OpenBLAS (pthread) ×2 threads', dir: join(multiarch, 'openblas-pthread'), threads: 2 }] : []),
        ];
  for (const { label, dir, threads, device } of variants) {
    if (dir !== undefined && !existsSync(join(dir, 'libblas.so.3'))) {
      console.log(`pytorch ${label}: skipped (${dir}/libblas.so.3 is not installed)`);
      continue;
    }
    const runSpec = JSON.stringify({ ...JSON.parse(spec), ...(threads === undefined ? {} : { threads }), ...(device === undefined ? {} : { device }) });
    let out;
    try {
      out = execFileSync(python, [join(here, 'torch_dit.py'), runSpec], {
        env: dir === undefined ? process.env : { ...process.env, LD_LIBRARY_PATH: dir },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const why = String(error.stderr ?? error.message).trim().split('\n').at(-1);
      rows.push({ name: `pytorch ${label}`, ms: Number.NaN, note: `failed: ${why}` });
      continue;
    }
    const result = JSON.parse(out.trim().split('\n').at(-1));
    rows.push({
      name: `pytorch ${label}`,
      ms: result.msPerStep,
      note:
        result.device === 'cpu'
          ? `torch ${result.torch}, ${result.threads} threads, loaded ${result.blasLoaded.join(', ') || 'no libblas'}`
          : `torch ${result.torch} on ${result.device}`,
    });
  }
}

tf.disposeVariables();
const base = rows.find((row) => row.name === 'tfjs wasm') ?? rows[0];
console.log('');
console.log(`${'implementation'.padEnd(38)} ${'ms/step'.padStart(9)} ${'steps/s'.padStart(8)} ${'× base'.padStart(8)} ${'JS ms'.padStart(8)} ${'issue ms'.padStart(15)}  notes`);
for (const row of rows) {
  const js = row.jsMs === undefined ? '-' : row.jsMs.toFixed(1);
  const issue = row.issue === undefined ? '-' : `${row.issue.mean.toFixed(2)} (${row.issue.median.toFixed(2)})`;
  console.log(
    `${row.name.padEnd(38)} ${row.ms.toFixed(1).padStart(9)} ${(1000 / row.ms).toFixed(2).padStart(8)} ${(row.ms / base.ms).toFixed(2).padStart(8)} ${js.padStart(8)} ${issue.padStart(15)}  ${row.note}`,
  );
}
console.log(`(× base: time per step relative to ${base?.name ?? 'the first row'}; below 1 is faster. On webgpu, JS ms: a step's time in the`);
console.log(' training loop less its waits for GPU results; issue ms, mean (median): from the start of a step taken alone, the GPU idle,');
console.log(' until its last submit returns)');
const opByOp = rows.find((row) => row.issue !== undefined && !row.name.endsWith(' replayed'));
const replayed = rows.find((row) => row.issue !== undefined && row.name.endsWith(' replayed'));
if (opByOp !== undefined && replayed !== undefined) {
  const ratio = (key) => (opByOp.issue[key] / replayed.issue[key]).toFixed(1);
  console.log(
    `webgpu issue time a step: op by op ${opByOp.issue.mean.toFixed(2)} ms, replayed ${replayed.issue.mean.toFixed(2)} ms: ${ratio('mean')}× less (medians ${ratio('median')}×)`,
  );
  const { prepare, encode, submit } = replayed.issue.split;
  const dispatches = replayed.work.gpu.dispatches;
  const each = (ms) => `${((1000 * ms) / dispatches).toFixed(1)} µs each`;
  console.log(
    `replayed step, medians: ${prepare.toFixed(2)} ms until its pass begins (batch, inputs, update), ${encode.toFixed(2)} ms encoding its ` +
      `${dispatches} dispatches (${each(encode)}), ${submit.toFixed(2)} ms in its submit`,
  );
  const alone = replayed.dawnAlone;
  console.log(
    `Dawn alone, ${dispatches} dispatches of their own pipelines and bind groups of 5 buffers: encoding ${alone.warm.encode.toFixed(2)} ms (${each(alone.warm.encode)}), ` +
      `submit ${alone.warm.submit.toFixed(2)} ms with warm caches; ${alone.cold.encode.toFixed(2)} ms (${each(alone.cold.encode)}) and ${alone.cold.submit.toFixed(2)} ms after GPU work on 16 MiB`,
  );
}

const counted = rows.filter((row) => row.work !== undefined && row.threads === 1);
if (counted.length > 0) {
  const columns = [
    ['kernels', (w) => w.kernels],
    ['dispatches', (w) => w.gpu?.dispatches],
    ['bind groups', (w) => w.gpu?.bindGroups],
    ['buffers new', (w) => w.gpu?.buffersCreated],
    ['buffer writes', (w) => w.gpu?.bufferWrites],
    ['uploads', (w) => w.gpu?.uploads],
    ['kB up', (w) => (w.gpu === undefined ? undefined : (w.gpu.bytesUploaded / 1024).toFixed(1))],
    ['submits', (w) => w.gpu?.submits],
    ['readbacks', (w) => w.gpu?.readbacks],
    ['bytes read', (w) => w.gpu?.bytesRead],
  ];
  console.log('');
  console.log(`one training step, one thread: ${columns.map(([name]) => name).join(' | ')}`);
  for (const row of counted) {
    console.log(`${row.name.padEnd(38)} ${columns.map(([name, value]) => String(value(row.work) ?? '-').padStart(name.length)).join('   ')}`);
    const top = Object.entries(row.work.kernelsByName).sort((a, b) => b[1] - a[1]).slice(0, 12);
    console.log(`${''.padEnd(38)} ${top.map(([name, count]) => `${name} ${count}`).join(', ')}`);
  }
}
if (flags.json !== undefined) {
  const lines = rows.map((row) => JSON.stringify({ preset: flags.preset, batchSize: train.batchSize, name: row.name, msPerStep: row.ms, jsMsPerStep: row.jsMs, issueMsPerStep: row.issue?.mean, issueMsMedian: row.issue?.median, issueSplitMs: row.issue?.split, dawnAloneMs: row.dawnAlone, note: row.note, work: row.work }));
  writeFileSync(flags.json, `${lines.join('\n')}\n`);
  console.log(`wrote ${flags.json}`);
}
