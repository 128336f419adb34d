import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { countWork, initBackend } from '../backend/index.js';
import { type AdamWStep, adamwUpdate } from './adamw.js';
import { WebGpuAdamW } from './adamw-in-place.js';

const backends = ['cpu', 'wasm'] as const;

function seeded(shape: number[], seed: number, scale = 1): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, (_, i) => scale * Math.sin(seed * 7.3 + i * 1.91)), shape);
}

/** The update as composed tfjs ops, one kernel per operation: what the fused kernel replaces. */
function composed(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, e: tf.Tensor, s: AdamWStep): tf.Tensor[] {
  return tf.tidy(() => {
    const clipped = tf.mul(g, tf.scalar(s.gradScale));
    const m1 = tf.add(tf.mul(m, s.beta1), tf.mul(clipped, 1 - s.beta1));
    const v1 = tf.add(tf.mul(v, s.beta2), tf.mul(tf.square(clipped), 1 - s.beta2));
    let step: tf.Tensor = tf.div(tf.div(m1, s.correction1), tf.add(tf.sqrt(tf.div(v1, s.correction2)), s.epsilon));
    if (s.weightDecay > 0) step = tf.add(step, tf.mul(p, s.weightDecay));
    const p1 = tf.sub(p, tf.mul(step, s.learningRate));
    const e1 = tf.add(tf.mul(e, s.emaDecay), tf.mul(p1, 1 - s.emaDecay));
    return [p1, m1, v1, e1];
  });
}

const step: AdamWStep = {
  gradScale: 0.37,
  beta1: 0.9,
  beta2: 0.99,
  epsilon: 1e-8,
  weightDecay: 0.01,
  learningRate: 3e-3,
  correction1: 1 - 0.9 ** 3,
  correction2: 1 - 0.99 ** 3,
  emaDecay: 0.4,
};

describe.each(backends)('adamwUpdate on %s', (backend) => {
  test('equals the composed ops for a decayed matrix and a bias that is not, in one kernel, leaking nothing', async () => {
    await initBackend(backend);
    const weights = [
      { shape: [33, 17], decayed: true },
      { shape: [70], decayed: false },
    ].map(({ shape, decayed }, w) => {
      const [p, g, m, v, e] = [1, 2, 3, 4, 5].map((seed) => seeded(shape, seed + 10 * w, seed === 2 ? 5 : 1)) as tf.Tensor[];
      return { p: p!, g: g!, m: m!, v: tf.square(v!), ema: e!, decayed, unsquared: v! };
    });
    const expected = weights.map((w) => composed(w.p, w.g, w.m, w.v, w.ema, { ...step, weightDecay: w.decayed ? step.weightDecay : 0 }));
    const tensors = tf.memory().numTensors;
    const { result: fused, work } = await countWork(() => adamwUpdate(weights, step));
    expect(work.kernels).toBe(1);
    expect(tf.memory().numTensors).toBe(tensors + 8);
    for (const [w, result] of fused.entries()) {
      const outputs = [result.p, result.m, result.v, result.ema];
      for (const [i, output] of outputs.entries()) {
        expect(output.shape).toEqual(weights[w]!.p.shape);
        const want = await expected[w]![i]!.data();
        const got = await output.data();
        // rounded after every operation as the composed kernels do: the same bits
        expect(Array.from(got)).toEqual(Array.from(want));
      }
      tf.dispose(outputs);
    }
    tf.dispose([...weights.flatMap((w) => [w.p, w.g, w.m, w.v, w.ema, w.unsquared]), ...expected.flat()]);
  });
});

describe.runIf(process.env.VK_DRIVER_FILES)('WebGpuAdamW', () => {
  /** The step's numbers on the GPU: a norm of 10 over a bound of 3.7 clips the gradients by 0.37. */
  const guarded = { ...step, maxNorm: 3.7 };
  const clipped = { ...step, gradScale: Math.fround(Math.fround(3.7) / 10) };

  test('updates the variables in place as the composed ops do, several a dispatch, guarded and clipped on the GPU, and a shared buffer is copied first', async () => {
    await initBackend('webgpu');
    const tensors = tf.memory().numTensors;
    // more weights than one dispatch takes on lavapipe (3): two dispatches, one of them of one weight
    const shapes = [
      { shape: [33, 17], decayed: true },
      { shape: [70], decayed: false },
      { shape: [5, 3], decayed: true },
      { shape: [130], decayed: false },
    ];
    const weights = shapes.map(({ shape, decayed }, w) => {
      const [p, g, m, v] = [1, 2, 3, 4].map((seed) => seeded(shape, seed + 10 * w, seed === 2 ? 5 : 1)) as tf.Tensor[];
      const variable = (x: tf.Tensor) => {
        const made = tf.variable(x, false);
        x.dispose();
        return made;
      };
      const pv = variable(p!);
      // the EMA starts as the weights themselves, sharing their buffer, as the trainer's does
      return { p: pv, g: g!, m: variable(m!), v: variable(tf.tidy(() => tf.square(v!))), ema: tf.variable(pv, false), decayed, sources: [v!] };
    });
    const valuesOf = (ws: typeof weights) => Promise.all(ws.flatMap((w) => [w.p, w.m, w.v, w.ema]).map(async (x) => Array.from(await x.data())));
    const expected = weights.map((w) => composed(w.p, w.g, w.m, w.v, w.ema, { ...clipped, weightDecay: w.decayed ? step.weightDecay : 0 }));
    const optimizer = new WebGpuAdamW(3);
    const stats = [[1.5, 10], [Number.NaN, 10], [1.5, 10]].map((pair) => tf.tensor1d(pair));
    const { work } = await countWork(() => optimizer.update(weights, guarded, { stats: stats[0]!, slot: 0 }));
    const updateDispatches = 1 + Math.ceil(weights.length / optimizer.weightsPerDispatch);
    // the guard and the weights' dispatches, and the two copies (zeros, add) that gave each weight a buffer its EMA does not share
    expect(work.gpu!.dispatches).toBe(updateDispatches + 2 * weights.length);
    for (const [w, weight] of weights.entries()) {
      for (const [i, variable] of [weight.p, weight.m, weight.v, weight.ema].entries()) {
        const want = await expected[w]![i]!.data();
        const got = await variable.data();
        // WGSL may fuse a multiply and an add, and its division and square root differ by an ulp or two
        for (let k = 0; k < want.length; k++) expect(Math.abs(got[k]! - want[k]!)).toBeLessThanOrEqual(4e-7 * Math.max(1, Math.abs(want[k]!)));
      }
    }
    // a NaN loss changes nothing, and the guard stays closed for the next update, finite or not
    const before = await valuesOf(weights);
    const closed = await countWork(() => optimizer.update(weights, guarded, { stats: stats[1]!, slot: 1 }));
    // the weights' bind groups kept: only the new stats' upload and the guard's bind group
    expect(closed.work.gpu).toMatchObject({ dispatches: updateDispatches, bindGroups: 1, buffersCreated: 1 });
    optimizer.update(weights, guarded, { stats: stats[2]!, slot: 2 });
    expect(await valuesOf(weights)).toEqual(before);
    expect(Array.from(await optimizer.readStats(3))).toEqual([1.5, 10, Number.NaN, 10, 1.5, 10]);
    // an update that copies the slots for the next read: the read submits nothing of its own
    optimizer.update(weights, guarded, { stats: stats[2]!, slot: 0, readAfter: 2 });
    const read = await countWork(() => optimizer.readStats(2));
    expect(read.work.gpu).toMatchObject({ submits: 0, readbacks: 1 });
    expect(Array.from(read.result)).toEqual([1.5, 10, Number.NaN, 10]);
    // reopened, the guard lets the next update through
    optimizer.reopen();
    const again = await countWork(() => optimizer.update(weights, guarded, { stats: stats[2]!, slot: 0 }));
    expect(again.work.gpu).toMatchObject({ dispatches: updateDispatches, bindGroups: 0, buffersCreated: 0 });
    expect(await valuesOf(weights)).not.toEqual(before);
    expect(() => optimizer.update(weights, guarded, { stats: stats[0]!, slot: 3 })).toThrow(RangeError);
    optimizer.dispose();
    tf.dispose([...weights.flatMap((w) => [w.p, w.g, w.m, w.v, w.ema, ...w.sources]), ...expected.flat(), ...stats]);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('bindings kept from one update to the next give way to a weight shared or assigned anew in between', async () => {
    await initBackend('webgpu');
    const tensors = tf.memory().numTensors;
    const [p, g, m, v, ema] = [1, 2, 3, 4, 5].map((seed) => {
      const values = seeded([6, 5], seed);
      const made = tf.variable(values, false);
      values.dispose();
      return made;
    });
    const weights = [{ p: p!, g: g!, m: m!, v: v!, ema: ema!, decayed: true }];
    const stats = tf.tensor1d([1.5, 10]);
    const optimizer = new WebGpuAdamW(1);
    const update = () => countWork(() => optimizer.update(weights, guarded, { stats, slot: 0 }));
    const updateDispatches = 1 + 1;
    await update();
    expect((await update()).work.gpu).toMatchObject({ dispatches: updateDispatches, bindGroups: 0 });
    // a tensor made after the last update shares m's data: m is given a copy of its own first, and the tensor keeps its values
    const shared = tf.reshape(m!, [30]);
    const kept = Array.from(await shared.data());
    // the copy's two tfjs ops (zeros, add) with their bind groups, and the weight's bind group anew
    expect((await update()).work.gpu).toMatchObject({ dispatches: updateDispatches + 2, bindGroups: 3 });
    expect(Array.from(await shared.data())).toEqual(kept);
    expect(Array.from(await m!.data())).not.toEqual(kept);
    // v assigned anew: the update writes v's new buffer
    const fours = tf.fill([6, 5], 4);
    v!.assign(fours);
    fours.dispose();
    expect((await update()).work.gpu).toMatchObject({ dispatches: updateDispatches, bindGroups: 1 });
    const grad = (await g!.data())[0]! * (guarded.maxNorm / 10);
    const v1 = 4 * guarded.beta2 + grad * grad * (1 - guarded.beta2);
    expect((await v!.data())[0]).toBeCloseTo(v1, 5);
    optimizer.dispose();
    tf.dispose([p!, g!, m!, v!, ema!, shared, stats]);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
