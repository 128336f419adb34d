import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { invokeCli } from '../../test/run-cli.js';
import { disposeDit } from '../model/index.js';
import { sampleClips } from '../sample/index.js';
import { loadRunEma, readRunConfig } from '../train/index.js';
import { decodeWebModel, WebModelError } from '../web/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'video-dit-export-web-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});


const bytesOf = (file: Buffer) => file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;

test("export-web writes the run's EMA weights in tfjs's weights format, and they sample as the run does", async () => {
  expect((await invokeCli(['train', '--preset', 'tiny', '--backend', 'cpu', '--out', dir, '--name', 'web', '--steps', '4'])).code).toBe(0);
  const run = join(dir, 'web');
  const out = join(dir, 'site', 'model', 'model.json');
  const exported = await invokeCli(['export-web', '--run', run, '--out', out]);
  expect(exported.err).toBe('');
  expect(exported.code).toBe(0);
  expect(exported.out).toMatch(/step 4: .*model\.json and .*model\.weights\.bin \(\d+ tensors, \d+ bytes\)/);
  expect((await readdir(join(dir, 'site', 'model'))).sort()).toEqual(['model.json', 'model.weights.bin']);

  const json = JSON.parse(await readFile(out, 'utf8'));
  const weights = bytesOf(await readFile(join(dir, 'site', 'model', 'model.weights.bin')));
  expect(json.weightsManifest[0].paths).toEqual(['model.weights.bin']);
  const config = await readRunConfig(run);
  expect(json.model).toEqual(config.model);
  expect(json.sample).toEqual({ ...config.sample, shift: Math.sqrt(8 / 16) });
  expect(json.trainingShift).toBe(Math.sqrt(8 / 16));

  const { model } = decodeWebModel(json, weights);
  const { ema } = await loadRunEma(run, config);
  for (const [name, weight] of ema.params) expect(Array.from(model.params.get(name)!.dataSync())).toEqual(Array.from(weight.dataSync()));
  const options = { count: 2, steps: 3, shift: 2, seed: 5 };
  const [fromFile, fromRun] = [await sampleClips(model, options), await sampleClips(ema, options)];
  for (const [i, clip] of fromFile.entries()) expect(Array.from(clip)).toEqual(Array.from(fromRun[i]!));
  const tensors = tf.memory().numTensors;
  disposeDit(model);
  disposeDit(ema);
  expect(tf.memory().numTensors).toBeLessThan(tensors);

  expect(() => decodeWebModel({ ...json, format: 'other' }, weights)).toThrow(WebModelError);
  expect(() => decodeWebModel(json, weights.slice(0, 100))).toThrow(/has 100 bytes; the manifest's float32 weights need \d+/);
  const renamed = { ...json, weightsManifest: [{ ...json.weightsManifest[0], weights: json.weightsManifest[0].weights.map((w: { name: string }, i: number) => (i === 0 ? { ...w, name: 'x' } : w)) }] };
  expect(() => decodeWebModel(renamed, weights)).toThrow(/does not fit its own model config: .*has no 'weights\/patch_in.w'/);
  expect((await invokeCli(['export-web', '--run', run])).err).toMatch(/--out FILE is required/);
});
