import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bellWeight, createRng, debiasedWeight, minSnrWeight } from '@flowdit/timestep-shift';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../backend/index.js';
import { type Config, presetConfig, trainingLossWeight } from '../config/index.js';
import { standardNormals } from '../data/index.js';
import { ditForward, param, patchDim, tokenCount } from '../model/index.js';
import { latestCheckpoint, loadCheckpoint } from './checkpoint.js';
import { shardGradients, splitBatch } from './gradients.js';
import { GradientWorkers } from './parallel.js';
import { NonFiniteLossError, Trainer } from './trainer.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'video-dit-train-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function tinyConfig(overrides: Partial<Config['train']> = {}): Config {
  const config = presetConfig('tiny');
  return { ...config, train: { ...config.train, steps: 12, learningRate: 3e-3, ...overrides } };
}

/** Six steps straight, and three steps, a checkpoint, a fresh trainer restored from it, three more: the same losses. */
async function expectExactResume(config: Config, name: string): Promise<void> {
  const straight = new Trainer(config);
  const expected: number[] = [];
  for (let i = 0; i < 6; i++) expected.push((await straight.trainStep()).loss);
  straight.dispose();
  const first = new Trainer(config);
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) losses.push((await first.trainStep()).loss);
  await first.saveCheckpoint(join(dir, name));
  first.dispose();
  const second = new Trainer(config);
  second.restore(await loadCheckpoint((await latestCheckpoint(join(dir, name)))!));
  for (let i = 0; i < 3; i++) losses.push((await second.trainStep()).loss);
  second.dispose();
  expect(losses).toEqual(expected);
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

describe.each(['cpu', 'wasm'] as const)('tiny model on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  test('the loss falls within a few steps and no tensor leaks across steps', async () => {
    const trainer = new Trainer(tinyConfig());
    const losses = [(await trainer.trainStep()).loss];
    const tensors = tf.memory().numTensors;
    for (let i = 1; i < 12; i++) losses.push((await trainer.trainStep()).loss);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(mean(losses.slice(-3))).toBeLessThan(0.95 * mean(losses.slice(0, 3)));
    trainer.dispose();
  });
});

describe('checkpoints', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  test('save then load gives identical outputs', async () => {
    const config = tinyConfig();
    const trainer = new Trainer(config);
    for (let i = 0; i < 3; i++) await trainer.trainStep();
    const path = await trainer.saveCheckpoint(join(dir, 'identical'));
    const restored = new Trainer(config);
    restored.restore(await loadCheckpoint(path));
    const x = tf.randomNormal([2, 4, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor5D;
    const t = tf.tensor1d([0.3, 0.8]);
    for (const group of ['model', 'ema'] as const) {
      const a = ditForward(trainer[group], x, t).dataSync();
      const b = ditForward(restored[group], x, t).dataSync();
      expect(Array.from(b)).toEqual(Array.from(a));
    }
    expect(restored.step).toBe(3);
    trainer.dispose();
    restored.dispose();
  });

  test('steps taken several at a time are the steps taken one by one, from one step to ten at a time', async () => {
    const one = new Trainer(tinyConfig());
    const several = new Trainer(tinyConfig());
    expect(several.stepsPerRead).toBe(1);
    const expected: number[] = [];
    for (let i = 0; i < 4; i++) expected.push((await one.trainStep()).loss);
    const results = [...(await several.trainSteps(3)), ...(await several.trainSteps(1))];
    expect(results.map((result) => result.step)).toEqual([1, 2, 3, 4]);
    expect(results.map((result) => result.loss)).toEqual(expected);
    await expect(several.trainSteps(0)).rejects.toThrow(RangeError);
    await expect(several.trainSteps(11)).rejects.toThrow('train 1 to 10 steps at a time, not 11');
    one.dispose();
    several.dispose();
  });

  test('resume continues exactly: the same losses as an uninterrupted run', async () => {
    await expectExactResume(tinyConfig(), 'resume');
  });

  test('only the newest checkpoints are kept, and no temporary folder is left', async () => {
    const trainer = new Trainer({ ...tinyConfig(), train: { ...tinyConfig().train, keepCheckpoints: 2 } });
    for (let i = 0; i < 3; i++) {
      await trainer.trainStep();
      await trainer.saveCheckpoint(join(dir, 'keep'));
    }
    expect(await readdir(join(dir, 'keep'))).toEqual(['step-00000002', 'step-00000003']);
    trainer.dispose();
  });

  test('a NaN loss stops training before the update, naming the step, and leaks no tensor', async () => {
    const trainer = new Trainer(tinyConfig());
    await trainer.trainStep();
    const w = param(trainer.model.params, 'patch_in.w');
    tf.tidy(() => w.assign(tf.fill(w.shape, Number.NaN)));
    const before = param(trainer.model.params, 'time.fc1.w').dataSync().slice();
    const tensors = tf.memory().numTensors;
    await expect(trainer.trainStep()).rejects.toThrow(NonFiniteLossError);
    await expect(trainer.trainStep()).rejects.toThrow(/step 2: loss NaN/);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(Array.from(param(trainer.model.params, 'time.fc1.w').dataSync())).toEqual(Array.from(before));
    expect(trainer.step).toBe(1);
    trainer.dispose();
  });
});

describe('loss weights', () => {
  test("a weighted batch's loss and gradients are each clip's alone, weighted", async () => {
    await initBackend('cpu');
    const trainer = new Trainer(tinyConfig());
    const { model } = trainer;
    const clips = 3;
    const clipSize = tokenCount(model.config) * patchDim(model.config);
    const rng = createRng(7);
    const batch = {
      tokens: standardNormals(rng, clips * clipSize),
      noise: standardNormals(rng, clips * clipSize),
      t: Float32Array.from([0.2, 0.5, 0.9]),
      lossWeight: Float32Array.from([0.5, 2, 3]),
    };
    const weighted = shardGradients(model, batch, 1);
    let loss = 0;
    const grads = weighted.grads.map((g) => new Float64Array(g.size));
    for (const [i, { shard }] of splitBatch(batch, clips).entries()) {
      const alone = shardGradients(model, { tokens: shard.tokens, noise: shard.noise, t: shard.t }, 1 / clips);
      const w = batch.lossWeight[i]!;
      loss += w * alone.loss.dataSync()[0]!;
      alone.grads.forEach((g, k) => {
        const values = g.dataSync();
        for (let j = 0; j < values.length; j++) grads[k]![j]! += w * values[j]!;
      });
      tf.dispose([alone.loss, ...alone.grads]);
    }
    expect(Math.abs(weighted.loss.dataSync()[0]! - loss)).toBeLessThan(1e-6 * loss);
    weighted.grads.forEach((g, k) => {
      const values = g.dataSync();
      for (let j = 0; j < values.length; j++) expect(Math.abs(values[j]! - grads[k]![j]!)).toBeLessThan(1e-5 + 1e-4 * Math.abs(grads[k]![j]!));
    });
    tf.dispose([weighted.loss, ...weighted.grads]);
    // its constants were kept by the first run: a second one leaves nothing behind
    const before = tf.memory().numTensors;
    const again = shardGradients(model, batch, 1);
    tf.dispose([again.loss, ...again.grads]);
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
  });

  test("the trainer weighs each clip by train.lossWeight of its time, and 'none' is the unweighted loss", async () => {
    await initBackend('cpu');
    const unweighted = new Trainer(tinyConfig());
    const none = new Trainer(tinyConfig({ lossWeight: 'none' }));
    const cosmap = new Trainer(tinyConfig({ lossWeight: 'cosmap' }));
    const a = await unweighted.trainStep();
    expect((await none.trainStep()).loss).toBe(a.loss);
    // cosmap weighs every time by 2/(π(1 − 2σ + 2σ²)) ∈ [2/π, 4/π]: the loss changes, within those bounds
    const b = await cosmap.trainStep();
    expect(b.loss).not.toBe(a.loss);
    expect(b.loss).toBeGreaterThan((2 / Math.PI) * a.loss * 0.999);
    expect(b.loss).toBeLessThan((4 / Math.PI) * a.loss * 1.001);
    for (const t of [unweighted, none, cosmap]) t.dispose();
  });

  test.each([
    ['min-snr', (t: number) => minSnrWeight(t, 2)],
    ['debiased', (t: number) => debiasedWeight(t)],
    ['bell', (t: number) => bellWeight(t)],
  ] as const)('%s weighs each clip by the package weight of its time', (scheme, weight) => {
    const of = trainingLossWeight({ lossWeight: scheme, minSnrGamma: 2 })!;
    for (const t of [0.05, 0.3, 0.5, 0.9]) expect(of(t)).toBe(weight(t));
    expect(trainingLossWeight({ lossWeight: 'none', minSnrGamma: 2 })).toBeUndefined();
  });
});

describe('a batch shared by threads', () => {
  test('splitBatch cuts consecutive shards whose shares add up to 1', () => {
    const batch = { tokens: Float32Array.from({ length: 10 }, (_, i) => i), noise: new Float32Array(10), t: Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5]) };
    const shards = splitBatch(batch, 2);
    expect(shards.map(({ shard }) => Array.from(shard.t))).toEqual([[0.1, 0.2, 0.3].map(Math.fround), [0.4, 0.5].map(Math.fround)]);
    expect(Array.from(shards[1]!.shard.tokens)).toEqual([6, 7, 8, 9]);
    expect(shards.map((s) => s.share)).toEqual([0.6, 0.4]);
    expect(() => splitBatch(batch, 6)).toThrow(/a batch of 5 clips cannot be cut into 6 shards/);
  });

  describe.each(['cpu', 'wasm'] as const)('on %s', (backend) => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    test('two threads train like one: the same losses and weights up to float rounding, no tensor leaks', async () => {
      const one = new Trainer(tinyConfig());
      const two = new Trainer({ ...tinyConfig(), train: { ...tinyConfig().train, threads: 2 } });
      expect(two.threads).toBe(2);
      for (let i = 0; i < 4; i++) {
        const a = await one.trainStep();
        const tensors = tf.memory().numTensors;
        const b = await two.trainStep();
        if (i > 0) expect(tf.memory().numTensors).toBe(tensors);
        // float32 sums in another order: equal to about 1e-6 relative
        expect(Math.abs(b.loss - a.loss)).toBeLessThan(1e-5 * a.loss);
        expect(Math.abs(b.gradNorm - a.gradNorm)).toBeLessThan(1e-5 * a.gradNorm);
      }
      const w1 = param(one.model.params, 'block0.qkv.w').dataSync();
      const w2 = param(two.model.params, 'block0.qkv.w').dataSync();
      let worst = 0;
      for (let i = 0; i < w1.length; i++) worst = Math.max(worst, Math.abs(w1[i]! - w2[i]!));
      expect(worst).toBeLessThan(1e-5);
      one.dispose();
      two.dispose();
    });

    test('with loss weights, two threads train like one', async () => {
      const config = tinyConfig({ lossWeight: 'sigma_sqrt' });
      const one = new Trainer(config);
      const two = new Trainer({ ...config, train: { ...config.train, threads: 2 } });
      for (let i = 0; i < 3; i++) {
        const a = await one.trainStep();
        const b = await two.trainStep();
        expect(Math.abs(b.loss - a.loss)).toBeLessThan(1e-5 * a.loss);
      }
      one.dispose();
      two.dispose();
    });

    test('with two threads, resume continues exactly', async () => {
      await expectExactResume({ ...tinyConfig(), train: { ...tinyConfig().train, threads: 2 } }, `resume-threads-${backend}`);
    });
  });

  test('a worker that cannot start its backend says so', async () => {
    const model = presetConfig('tiny').model;
    await expect(GradientWorkers.start(1, { backend: 'nonsense' as 'wasm', model })).rejects.toThrow(/could not start the nonsense backend/);
  });
});
