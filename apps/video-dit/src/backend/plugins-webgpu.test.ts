import { readFileSync } from 'node:fs';
import { applyRope, type RopeTableOptions, ropeTable } from '@flowdit/rope3d';
import { Rope3D } from '@flowdit/rope3d/layer';
import { createRng, timestepDistribution } from '@flowdit/timestep-shift';
import { flowMatchingPair, timestepTensor } from '@flowdit/timestep-shift/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, describe, expect, test } from 'vitest';
import { type BackendName, type GpuUncapturedError, initBackend } from './index.js';

const gpuErrors: GpuUncapturedError[] = [];

/** Runs `compute` on cpu and on webgpu from the same inputs and returns both results as plain arrays. */
async function onBoth(compute: () => tf.Tensor | tf.Tensor[]): Promise<Record<'cpu' | 'webgpu', Float32Array[]>> {
  const results = {} as Record<'cpu' | 'webgpu', Float32Array[]>;
  for (const name of ['cpu', 'webgpu'] as const satisfies readonly BackendName[]) {
    await initBackend(name, { onGpuError: (error) => gpuErrors.push(error) });
    // A first run fills the plugins' caches (uploaded RoPE tables); the second must leave nothing behind.
    tf.dispose(tf.tidy(compute));
    const before = tf.memory().numTensors;
    const outputs = tf.tidy(compute);
    const list = Array.isArray(outputs) ? outputs : [outputs];
    results[name] = await Promise.all(list.map(async (tensor) => (await tensor.data()) as Float32Array));
    tf.dispose(list);
    expect(tf.memory().numTensors, `tensors left behind on ${name}`).toBe(before);
  }
  return results;
}

function expectClose(actual: Float32Array[], expected: Float32Array[], tolerance: number): void {
  expect(actual.map((values) => values.length)).toEqual(expected.map((values) => values.length));
  let worst = 0;
  for (const [k, values] of expected.entries()) {
    for (const [i, value] of values.entries()) worst = Math.max(worst, Math.abs(actual[k]![i]! - value) / Math.max(1, Math.abs(value)));
  }
  expect(worst).toBeLessThan(tolerance);
}

/** Deterministic values in [-1, 1] of the given shape (no tfjs random: the same on every backend by construction). */
function waves(shape: number[], phase: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(0.37 * i + phase)), shape);
}

describe.skipIf(!process.env.VK_DRIVER_FILES)(
  'the plugins on webgpu give what they give on cpu (skipped without VK_DRIVER_FILES: run scripts/setup-lavapipe.sh and source .vendor/lavapipe/env)',
  () => {
    afterEach(() => {
      expect(gpuErrors.splice(0).map((error) => error.message)).toEqual([]);
    });

    test.each([
      ['wan', 'packed'],
      ['hunyuan', 'packed'],
      ['wan', 'interleaved'],
    ] as const)('applyRope with the %s table, %s', async (preset, layout) => {
      const table = ropeTable({ grid: [3, 4, 5], headDim: 32, preset, layout });
      const { cpu, webgpu } = await onBoth(() => applyRope(waves([2, 60, 3, 32], 0.1) as tf.Tensor4D, table));
      expectClose(webgpu, cpu, 1e-5);
    });

    // tables beyond a grid: positions, segments, four axes, M-RoPE, YaRN, and LTX-Video's table per head
    test.each<[string, RopeTableOptions, number]>([
      ['positions and segments on four axes (flux2)', { preset: 'flux2', headDim: 32, segments: [{ positions: [[0, 0, 0, 0], [0, 0, 0, 1]] }, { grid: [1, 3, 4, 1], offset: [10, 0, 0, 0] }, { positions: [[-1, 0.5, 2.25, 0]] }] }, 3],
      ['M-RoPE interleaved (qwen3-vl)', { preset: 'qwen3-vl', headDim: 32, mrope: { section: [6, 5, 5], interleaved: true }, positions: Array.from({ length: 15 }, (_, s) => [s, -s / 2, s % 4]) }, 3],
      ['YaRN on the spatial axes', { headDim: 32, axisDims: [8, 12, 12], grid: [3, 2, 2], yarn: { factor: [1, 4, 4], originalPositions: 1 }, layout: 'interleaved' }, 3],
      ['a table per head (ltx-video)', { preset: 'ltx-video', headDim: 32, heads: 4, grid: [2, 3, 2], interpolationFactor: [0.016, 1 / 64, 1 / 64], layout: 'interleaved' }, 4],
      ['a table per head (ltx-video), packed', { preset: 'ltx-video', headDim: 32, heads: 4, grid: [2, 3, 2], interpolationFactor: [0.016, 1 / 64, 1 / 64] }, 4],
    ])('applyRope with %s: forward and gradient within 1e-6 of cpu', async (_, options, heads) => {
      const table = ropeTable(options);
      const shape = [2, table.tokens, heads, 32];
      const { cpu, webgpu } = await onBoth(() => {
        const weights = waves(shape, 0.7);
        const x = waves(shape, 0.2) as tf.Tensor4D;
        return [applyRope(x, table), tf.grad((input: tf.Tensor) => tf.sum(tf.mul(applyRope(input as tf.Tensor4D, table), weights)))(x)];
      });
      expectClose(webgpu, cpu, 1e-6);
    });

    // golden vectors of the rope3d package, made by the models' own code (packages/rope3d/test/fixtures/README.md)
    test.each([
      ['qwen2vl_mrope_d16_sec2-3-3_theta1e6_txt_img_vid.json', { preset: 'qwen2-vl', mrope: { section: [2, 3, 3] }, layout: 'packed' }, 'position_ids_thw'],
      ['qwen3vl_imrope_d16_sec4-2-2_theta5e6_txt_img_vid.json', { preset: 'qwen3-vl', mrope: { section: [4, 2, 2], interleaved: true }, layout: 'packed' }, 'position_ids_thw'],
      ['bfl_flux2_embednd_d32x4_theta2000_txt3_img2x3_ref2x2.json', { preset: 'flux2', layout: 'interleaved' }, 'ids'],
      ['diffusers_1d_rope_d16_fracneg_pos8_theta10000.json', { axisDims: [16], layout: 'interleaved' }, 'positions'],
    ] as const)('applyRope on webgpu matches the reference code within 1e-6 (+ its float32 table error): %s', async (file, options, positionsKey) => {
      const fixture = JSON.parse(readFileSync(new URL(`../../../../packages/rope3d/test/fixtures/${file}`, import.meta.url), 'utf8'));
      const [b, h, s, d] = fixture.shape_BHSD as [number, number, number, number];
      const positions = (fixture[positionsKey] as (number | number[])[]).map((p) => (Array.isArray(p) ? p : [p]));
      const table = ropeTable({ ...options, headDim: d, positions } as RopeTableOptions);
      await initBackend('webgpu', { onGpuError: (error) => gpuErrors.push(error) });
      expect(tf.getBackend()).toBe('webgpu');
      for (const [input, output] of [['q', 'q_out'], ['k', 'k_out']] as const) {
        if (fixture[input] === undefined) continue;
        const rotated = tf.tidy(() => {
          const x = tf.transpose(tf.tensor4d(fixture[input] as number[], [b, h, s, d]), [0, 2, 1, 3]) as tf.Tensor4D;
          return tf.transpose(applyRope(x, table), [0, 2, 1, 3]);
        });
        const values = await rotated.data();
        rotated.dispose();
        const expected = fixture[output] as number[];
        const worst = expected.reduce((max, value, i) => Math.max(max, Math.abs(values[i]! - value)), 0);
        expect(worst).toBeLessThan(1e-6 + 2 * (fixture.max_abs_diff_float64_closed_form ?? 0));
      }
    });

    test('applyRope gradient', async () => {
      const table = ropeTable({ grid: [2, 3, 4], headDim: 16 });
      const { cpu, webgpu } = await onBoth(() => {
        const weights = waves([2, 24, 2, 16], 0.7);
        return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(applyRope(x as tf.Tensor4D, table), weights)))(waves([2, 24, 2, 16], 0.2));
      });
      expectClose(webgpu, cpu, 1e-5);
    });

    test('the Rope3D layer: one training step of Dense → Rope3D on a [batch, tokens, heads·headDim] input', async () => {
      const { cpu, webgpu } = await onBoth(() => {
        const model = tfl.sequential({
          layers: [
            tfl.layers.dense({ inputShape: [24, 32], units: 32, kernelInitializer: 'ones', biasInitializer: 'zeros' }),
            new Rope3D({ grid: [2, 3, 4], headDim: 16 }),
          ],
        });
        const x = waves([2, 24, 32], 0.3);
        const target = waves([2, 24, 32], 1.1);
        const optimizer = tf.train.sgd(0.01);
        optimizer.minimize(() => tf.mean(tf.square(tf.sub(model.apply(x) as tf.Tensor, target))) as tf.Scalar);
        const weights = model.getWeights().map((weight) => tf.clone(weight));
        const output = model.apply(x) as tf.Tensor;
        optimizer.dispose();
        model.layers.forEach((layer) => {
          layer.dispose();
        });
        return [output, ...weights];
      });
      expectClose(webgpu, cpu, 1e-5);
    });

    test('a model with a Rope3D layer survives a save and load round trip on webgpu', async () => {
      await initBackend('webgpu', { onGpuError: (error) => gpuErrors.push(error) });
      const model = tfl.sequential({
        layers: [
          tfl.layers.dense({ inputShape: [8, 64], units: 64, kernelInitializer: 'glorotUniform' }),
          new Rope3D({ grid: [2, 2, 2], headDim: 32, preset: 'hunyuan' }),
        ],
      });
      let saved: tf.io.ModelArtifacts | undefined;
      await model.save(
        tf.io.withSaveHandler(async (artifacts) => {
          saved = artifacts;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      const restored = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
      const x = waves([1, 8, 64], 0.5);
      const [a, b] = [model.predict(x) as tf.Tensor, restored.predict(x) as tf.Tensor];
      expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
      tf.dispose([x, a, b]);
      model.dispose();
      restored.dispose();
    });

    test('timestepTensor uploads the same float64 draws, and flowMatchingPair matches cpu', async () => {
      const dist = timestepDistribution({ kind: 'shifted-logit-normal', shift: 3 });
      const { cpu, webgpu } = await onBoth(() => {
        const t = timestepTensor(dist, 16, createRng(42), { stratified: true });
        const { xt, velocity } = flowMatchingPair(waves([16, 2, 4, 4, 3], 0.9), waves([16, 2, 4, 4, 3], 2.3), t);
        return [t, xt, velocity];
      });
      expect(Array.from(webgpu[0]!)).toEqual(Array.from(cpu[0]!));
      expectClose(webgpu.slice(1), cpu.slice(1), 1e-6);
    });
  },
);
