import { describe, expect, test } from 'vitest';
import { closestKey, ConfigError, presetConfig, resolveRunConfig } from './config.js';

describe('resolveRunConfig', () => {
  test('defaults to the small preset; later layers win', () => {
    const config = resolveRunConfig([{ train: { steps: 7 } }, { train: { batchSize: 4 } }]);
    expect(config.preset).toBe('small');
    expect(config.train).toMatchObject({ steps: 7, batchSize: 4, learningRate: presetConfig('small').train.learningRate });
  });

  test('a preset named in a layer is the base', () => {
    expect(resolveRunConfig([{ preset: 'tiny' }]).model.hidden).toBe(presetConfig('tiny').model.hidden);
  });

  test.each([
    [{ trian: { steps: 5 } }, /unknown key 'trian' \(did you mean 'train'\?\)/],
    [{ train: { stpes: 5 } }, /unknown key 'train.stpes' \(did you mean 'train.steps'\?\)/],
    [{ timesteps: { shfit: 3 } }, /unknown key 'timesteps.shfit' \(did you mean 'timesteps.shift'\?\)/],
    [{ train: { learningRate: -1 } }, /'train.learningRate'/],
    [{ timesteps: { shift: 0 } }, /'timesteps.shift'/],
    [{ train: { batchSize: 2.5 } }, /'train.batchSize'/],
    [{ model: { patch: [3, 4, 4] } }, /patch\[0\] = 3 must divide model.frames = 8/],
    [{ preset: 'huge' }, /'preset' must be tiny, small or base/],
    [{ train: { threads: 17, batchSize: 16 } }, /'train.threads' = 17 must not exceed 'train.batchSize' = 16/],
    [{ train: { threads: 0 } }, /'train.threads'/],
  ])('%j is rejected by name', (layer, message) => {
    expect(() => resolveRunConfig([layer], 'test.json')).toThrow(ConfigError);
    expect(() => resolveRunConfig([layer], 'test.json')).toThrow(message);
  });

  test('a config written before train.threads existed reads as one thread', () => {
    const { threads: _, ...withoutThreads } = presetConfig('tiny').train;
    expect(resolveRunConfig([{ preset: 'tiny', train: withoutThreads }]).train.threads).toBe(1);
  });

  test('closestKey suggests only near misses', () => {
    expect(closestKey('batchsize', ['batchSize', 'steps'])).toBe('batchSize');
    expect(closestKey('zzzzzz', ['batchSize', 'steps'])).toBeUndefined();
  });
});
