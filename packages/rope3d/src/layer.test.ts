import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS, useBackend } from '../test/test-utils.js';
import { applyRope, clearRopeCache } from './apply.js';
import { Rope3D, type Rope3DArgs } from './layer.js';
import { ropeTable } from './table.js';

// tfjs-layers' own four layer tests: symbolic shape, one training step, serialization round trip,
// no tensor leak; plus input validation.

const grid = [2, 3, 4] as const;
const tokens = 24;
const headDim = 8;
const heads = 2;

function attentionInput(): { input: tfl.SymbolicTensor; rotated: tfl.SymbolicTensor } {
  const input = tfl.input({ shape: [tokens, heads * headDim] });
  const projected = tfl.layers.dense({ units: heads * headDim, kernelInitializer: 'glorotUniform', seed: 1 } as never).apply(input);
  const rotated = new Rope3D({ grid, headDim, axisDims: [4, 2, 2], theta: 256, name: 'rope_q' }).apply(projected) as tfl.SymbolicTensor;
  return { input, rotated };
}

afterAll(() => clearRopeCache());


/** Saves a model to memory and loads it back, as a file round trip would. */
async function saveAndLoad(model: tfl.LayersModel): Promise<{ saved: tf.io.ModelArtifacts; loaded: tfl.LayersModel }> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return { saved: saved!, loaded: await tfl.loadLayersModel(tf.io.fromMemory(saved!)) };
}

describe('Rope3D', () => {
  beforeAll(() => useBackend('cpu'));

  test('symbolic shape: rank 4 and rank 3 inputs keep their shape', () => {
    const layer = new Rope3D({ grid, headDim, preset: 'wan' });
    const four = tfl.input({ shape: [tokens, heads, headDim] });
    const three = tfl.input({ shape: [tokens, heads * headDim] });
    expect((layer.apply(four) as tfl.SymbolicTensor).shape).toEqual([null, tokens, heads, headDim]);
    expect((layer.apply(three) as tfl.SymbolicTensor).shape).toEqual([null, tokens, heads * headDim]);
    expect(layer.computeOutputShape([null, tokens, heads, headDim])).toEqual([null, tokens, heads, headDim]);
    expect(layer.countParams()).toBe(0);
    expect(layer.trainableWeights).toHaveLength(0);
  });

  test('eager call equals applyRope, for rank 3 and rank 4', () => {
    const layer = new Rope3D({ grid, headDim, preset: 'wan', layout: 'interleaved' });
    const x = tf.randomNormal([2, tokens, heads, headDim], 0, 1, 'float32', 3) as tf.Tensor4D;
    const expected = applyRope(x, ropeTable({ grid, headDim, preset: 'wan', layout: 'interleaved' }));
    expect((layer.apply(x) as tf.Tensor).arraySync()).toEqual(expected.arraySync());
    const flat = tf.reshape(x, [2, tokens, heads * headDim]);
    expect((layer.apply(flat) as tf.Tensor).arraySync()).toEqual(tf.reshape(expected, [2, tokens, heads * headDim]).arraySync());
    tf.dispose([x, expected, flat]);
  });

  test.each(BACKENDS)('one training step in a LayersModel with a Dense before it (%s)', async (backend) => {
    await useBackend(backend);
    const { input, rotated } = attentionInput();
    const model = tfl.model({ inputs: input, outputs: rotated });
    model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
    const x = tf.randomNormal([4, tokens, heads * headDim], 0, 1, 'float32', 5);
    const y = tf.randomNormal([4, tokens, heads * headDim], 0, 1, 'float32', 6);
    const kernelBefore = model.layers[1]!.getWeights()[0]!.dataSync().slice();
    const lossBefore = model.evaluate(x, y) as tf.Scalar;
    const history = await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    const lossAfter = model.evaluate(x, y) as tf.Scalar;
    const kernelAfter = model.layers[1]!.getWeights()[0]!.dataSync();
    expect(history.history.loss![0]).toBeCloseTo(lossBefore.dataSync()[0]!, 5);
    expect(lossAfter.dataSync()[0]!).toBeLessThan(lossBefore.dataSync()[0]!);
    expect(kernelAfter).not.toEqual(kernelBefore);
    tf.dispose([x, y, lossBefore, lossAfter]);
    model.layers.forEach((layer) => {
      layer.dispose();
    });
    await useBackend('cpu');
  });

  test('serialization round trip through withSaveHandler / fromMemory and loadLayersModel', async () => {
    const input = tfl.input({ shape: [tokens, heads * headDim] });
    const projected = tfl.layers.dense({ units: heads * headDim }).apply(input);
    const layer = new Rope3D({
      grid,
      headDim,
      axisDims: [4, 2, 2],
      theta: 256,
      thetaRescaleFactor: 1.5,
      interpolationFactor: [1, 0.5, 0.5],
      offset: [3, 0, 1],
      layout: 'interleaved',
      riflex: { k: 2, testFrames: 40, scale: undefined },
      ntk: [1, 2, 2],
      maxPositions: 64,
      name: 'rope_k',
    });
    const model = tfl.model({ inputs: input, outputs: layer.apply(projected) as tfl.SymbolicTensor });
    const { saved, loaded } = await saveAndLoad(model);
    expect(JSON.stringify(saved.modelTopology)).toContain('flowdit.Rope3D');
    const restored = loaded.getLayer('rope_k') as Rope3D;
    expect(restored).toBeInstanceOf(Rope3D);
    expect(restored.getConfig()).toEqual(layer.getConfig());
    expect(restored.table).toBe(layer.table);
    const x = tf.randomNormal([2, tokens, heads * headDim], 0, 1, 'float32', 7);
    const before = model.predict(x) as tf.Tensor;
    const after = loaded.predict(x) as tf.Tensor;
    expect(after.dataSync()).toEqual(before.dataSync());
    tf.dispose([x, before, after]);
  });

  test.each<[string, Rope3DArgs]>([
    ['positions as a Float64Array', { positions: Float64Array.from({ length: tokens * 3 }, (_, i) => Math.sin(i) * 5), headDim, axisDims: [4, 2, 2] }],
    ['segments', { segments: [{ grid: [1, 3, 4], offset: [2, 0, 0] }, { positions: Array.from({ length: 12 }, (_, s) => [-1, s % 3, 0.5 * s]) }], headDim, axisDims: [4, 2, 2] }],
    ['M-RoPE', { grid, headDim, mrope: { section: [2, 1, 1], interleaved: true }, theta: 1e6 }],
    ['YaRN', { grid, headDim, axisDims: [4, 2, 2], yarn: { factor: [1, 2, 2], originalPositions: 2, betaFast: 8 } }],
    ['DyPE', { grid, headDim, axisDims: [4, 2, 2], dype: { time: 0.25, factor: [1, 2, 2], originalPositions: 2 } }],
    ['a table per head (ltx-video)', { grid, headDim, preset: 'ltx-video', heads, interpolationFactor: [1 / 20, 1 / 64, 1 / 64] }],
    ['four axes', { grid: [2, 1, 3, 4], headDim, axisDims: [2, 2, 2, 2] }],
  ])('%s: the config round-trips through save and load, and a training step lowers the loss', async (_, args) => {
    await useBackend('cpu');
    const input = tfl.input({ shape: [tokens, heads * headDim] });
    const projected = tfl.layers.dense({ units: heads * headDim, kernelInitializer: 'glorotUniform', seed: 2 } as never).apply(input);
    const layer = new Rope3D({ ...args, name: 'rope' });
    const model = tfl.model({ inputs: input, outputs: layer.apply(projected) as tfl.SymbolicTensor });
    const { loaded } = await saveAndLoad(model);
    const restored = loaded.getLayer('rope') as Rope3D;
    expect(restored.getConfig()).toEqual(layer.getConfig());
    expect(restored.table).toBe(layer.table);
    loaded.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
    const x = tf.randomNormal([4, tokens, heads * headDim], 0, 1, 'float32', 8);
    const y = tf.randomNormal([4, tokens, heads * headDim], 0, 1, 'float32', 9);
    expect((loaded.predict(x) as tf.Tensor).dataSync()).toEqual((model.predict(x) as tf.Tensor).dataSync());
    const before = (loaded.evaluate(x, y) as tf.Scalar).dataSync()[0]!;
    await loaded.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    expect((loaded.evaluate(x, y) as tf.Scalar).dataSync()[0]!).toBeLessThan(before);
    tf.dispose([x, y]);
  });

  test('no tensor leak: call, apply inside a model, and predict', () => {
    const layer = new Rope3D({ grid, headDim, preset: 'wan' });
    const x = tf.randomNormal([1, tokens, heads, headDim]);
    tf.dispose(layer.apply(x) as tf.Tensor); // first use uploads the cached table tensors
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(layer.apply(x) as tf.Tensor);
    tf.dispose(tf.tidy(() => layer.apply(x) as tf.Tensor));
    expect(tf.memory().numTensors).toBe(before);
    const { input, rotated } = attentionInput();
    const model = tfl.model({ inputs: input, outputs: rotated });
    const flat = tf.randomNormal([1, tokens, heads * headDim]);
    tf.dispose(model.predict(flat) as tf.Tensor);
    const beforePredict = tf.memory().numTensors;
    tf.dispose(model.predict(flat) as tf.Tensor);
    expect(tf.memory().numTensors).toBe(beforePredict);
    tf.dispose([x, flat]);
  });

  test.each([
    [[null, tokens + 1, heads, headDim], /25 tokens.*grid \[2, 3, 4\] has 24/],
    [[null, tokens, heads, headDim + 2], /head dim 10.*headDim 8/],
    [[null, tokens, 12], /12 channels \(shape \[null, 24, 12\]\).*multiple of headDim 8/],
    [[null, tokens + 1, 16], /x has 25 tokens \(shape \[null, 25, 16\]\)/],
    [[null, tokens], /rank 2/],
  ])('rejects input shape %j', (shape, message) => {
    const layer = new Rope3D({ grid, headDim, preset: 'wan' });
    expect(() => layer.apply(tfl.input({ shape: (shape as (number | null)[]).slice(1) as number[] }))).toThrow(message);
  });

  test('without a name a layer is called rope3d, rope3d_1, rope3d_2, … in order of creation', () => {
    const first = new Rope3D({ grid, headDim }).name;
    expect(first).toMatch(/^rope3d(_\d+)?$/);
    const count = first === 'rope3d' ? 0 : Number(first.slice('rope3d_'.length));
    expect([new Rope3D({ grid, headDim }).name, new Rope3D({ grid, headDim }).name]).toEqual([`rope3d_${count + 1}`, `rope3d_${count + 2}`]);
    expect(() => new Rope3D({ grid: [0, 1, 1], headDim })).toThrow(/grid\[0\] is 0/);
    expect(new Rope3D({ grid, headDim }).name).toBe(`rope3d_${count + 3}`);
    expect(new Rope3D({ grid, headDim, name: 'rope_q' }).name).toBe('rope_q');
  });

  test('rejects bad options at construction', () => {
    expect(() => new Rope3D({ grid: [2, 0, 4], headDim })).toThrow(/grid\[1\] is 0/);
    expect(() => new Rope3D({ grid, headDim, layout: 'planar' as never })).toThrow(/layout is "planar"/);
  });
});
