import { describe, expect, test } from 'vitest';
import { closestKey } from './closest-key.js';
import { trainingDistribution, trainingShift } from './derive.js';
import { presetConfig } from './presets.js';
import { ConfigError, resolveConfig, resolveSampling, upgradeStoredConfig } from './resolve.js';

describe('resolveConfig', () => {
  test('defaults to the small preset; later layers win', () => {
    const config = resolveConfig([{ train: { steps: 7 } }, { train: { batchSize: 4 } }]);
    expect(config.preset).toBe('small');
    expect(config.train).toMatchObject({ steps: 7, batchSize: 4, learningRate: presetConfig('small').train.learningRate });
  });

  test('a preset named in a layer is the base', () => {
    expect(resolveConfig([{ preset: 'tiny' }]).model.hidden).toBe(presetConfig('tiny').model.hidden);
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
    [{ timesteps: { kind: 'mode', scale: 1.8 } }, /'timesteps.scale'/],
    [{ timesteps: { kind: 'uniform', std: 2 } }, /unknown key 'timesteps.std'; allowed: kind, shift, basePixels, stratified/],
    [{ timesteps: { kind: 'logit-normal', meen: 0.5 } }, /unknown key 'timesteps.meen' \(did you mean 'timesteps.mean'\?\)/],
    [{ timesteps: { kind: 'lognorm' } }, /'timesteps.kind'/],
    [{ timesteps: { kind: 'beta', alpha: 0, beta: 2 } }, /'timesteps.alpha'/],
    [{ timesteps: { kind: 'range', of: { kind: 'uniform', std: 1 }, tMin: 0, tMax: 0.5 } }, /timesteps.of.std/],
    [{ timesteps: { kind: 'range', of: { kind: 'uniform' }, tMin: 0.6, tMax: 0.5 } }, /'timesteps': .*tMin/],
    [{ timesteps: { kind: 'mixture', components: [{ weight: 0, spec: { kind: 'uniform' } }] } }, /'timesteps': .*weight/],
    [{ timesteps: { kind: 'knots', density: [1, 2], positions: [0.5, 0.2] } }, /'timesteps': .*positions/],
    [{ data: { size: 20 } }, /data.size must be a number or \[min, max\] with 2 ≤ min ≤ max ≤ min\(height, width\) = 16, got 20/],
    [{ name: '.' }, /'name': must name a folder inside outDir/],
    [{ name: '..' }, /'name': must name a folder inside outDir/],
    [{ name: 'a/b' }, /'name': use letters, digits/],
  ])('%j is rejected by name', (layer, message) => {
    expect(() => resolveConfig([layer], 'test.json')).toThrow(ConfigError);
    expect(() => resolveConfig([layer], 'test.json')).toThrow(message);
  });

  test('a config written before train.threads existed reads as one thread', () => {
    const { threads: _, ...withoutThreads } = presetConfig('tiny').train;
    expect(resolveConfig([{ preset: 'tiny', train: withoutThreads }]).train.threads).toBe(1);
  });

  test('the timestep section is the package spec: each kind takes its own parameters', () => {
    const config = resolveConfig([{ timesteps: { kind: 'logit-normal', mean: 0.5, std: 0.8 } }]);
    expect(config.timesteps).toEqual({ ...presetConfig('small').timesteps, kind: 'logit-normal', mean: 0.5, std: 0.8 });
  });

  test('ranges and mixtures nest the package laws, each with its own parameters and shift', () => {
    const timesteps = {
      kind: 'mixture',
      components: [
        { weight: 0.7, spec: { kind: 'range', of: { kind: 'logit-normal', std: 0.8 }, tMin: 0.1, tMax: 0.9, mode: 'rescale' } },
        { weight: 0.3, spec: { kind: 'beta', alpha: 2, beta: 2, shift: 2 } },
      ],
      shift: 3,
    };
    const config = resolveConfig([{ preset: 'tiny', timesteps }]);
    expect(config.timesteps).toEqual({ ...presetConfig('tiny').timesteps, ...timesteps });
    const law = trainingDistribution(config.timesteps, trainingShift(config));
    expect(law.cdf(1)).toBe(1);
    expect(law.quantile(law.cdf(0.3))).toBeCloseTo(0.3, 9);
  });

  test('resolveSampling replaces only the given values and checks them', () => {
    const { sample } = presetConfig('small');
    expect(resolveSampling(sample, { steps: 10, shift: undefined })).toEqual({ ...sample, steps: 10 });
    expect(() => resolveSampling(sample, { count: 0 }, '--count')).toThrow(ConfigError);
    expect(() => resolveSampling(sample, { stochasticity: 1 }, '--stochasticity')).toThrow(/invalid configuration \(--stochasticity\):\n {2}'sample.stochasticity'/);
  });

  test('closestKey suggests only near misses', () => {
    expect(closestKey('batchsize', ['batchSize', 'steps'])).toBe('batchSize');
    expect(closestKey('zzzzzz', ['batchSize', 'steps'])).toBeUndefined();
  });

  test('auto shifts count pixels; the presets keep the shifts they had when the rule counted tokens', () => {
    const shifts = (['tiny', 'small', 'base'] as const).map((preset) => trainingShift(presetConfig(preset)));
    expect(shifts).toEqual([Math.SQRT1_2, 2, 2]);
    // the same tokens in larger patches: more pixels, a larger shift
    expect(trainingShift(resolveConfig([{ model: { height: 32, width: 32, patch: [2, 8, 8] } }]))).toBe(4);
  });

  test('a stored configuration with baseTokens loads with the basePixels of the same shift; flags with it are told the new key', () => {
    const { timesteps, ...rest } = presetConfig('base');
    const { basePixels: _pixels, ...older } = timesteps;
    const upgraded = resolveConfig([upgradeStoredConfig({ ...rest, timesteps: { ...older, baseTokens: 256 } })]);
    expect(upgraded.timesteps).toEqual(timesteps);
    expect(() => resolveConfig([{ timesteps: { baseTokens: 16 } }], '--set')).toThrow(
      "invalid configuration (--set): 'timesteps.baseTokens' is now 'timesteps.basePixels'",
    );
  });
});
