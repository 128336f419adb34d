import type * as tf from '@tensorflow/tfjs-core';
import { describe, expectTypeOf, test } from 'vitest';
import type {
  DistributionSpec,
  Rng,
  Schedule,
  SigmaSchedule,
  TimeConvention,
  TimeSchedule,
  TimestepDistribution,
} from '../src/index.js';
import * as core from '../src/index.js';
import * as tfjs from '../src/tfjs.js';

// The names and signatures users and the app in this repository code against, checked by the compiler.
describe('API contract', () => {
  test('core names and types', () => {
    expectTypeOf<TimeConvention>().toEqualTypeOf<'t' | 'sigma'>();
    expectTypeOf<Rng['uniform']>().toEqualTypeOf<() => number>();
    expectTypeOf<Rng['normal']>().toEqualTypeOf<() => number>();
    expectTypeOf<ReturnType<Rng['state']>>().toMatchTypeOf<Uint32Array | number[]>();
    expectTypeOf(core.createRng).toEqualTypeOf<(seed: number) => Rng>();
    expectTypeOf(core.restoreRng).parameter(0).toMatchTypeOf<ArrayLike<number>>();
    expectTypeOf<{ kind: 'uniform' }>().toMatchTypeOf<DistributionSpec>();
    expectTypeOf<{ kind: 'logit-normal'; mean: number; std: number; shift: number }>().toMatchTypeOf<DistributionSpec>();
    expectTypeOf<{ kind: 'shifted-logit-normal'; shift: number; std: number }>().toMatchTypeOf<DistributionSpec>();
    expectTypeOf<{ kind: 'mode'; scale: number; convention: 'sigma' }>().toMatchTypeOf<DistributionSpec>();
    expectTypeOf<{ kind: 'cosmap'; shift: number }>().toMatchTypeOf<DistributionSpec>();
    expectTypeOf<TimestepDistribution['convention']>().toEqualTypeOf<TimeConvention>();
    expectTypeOf(core.timestepDistribution).returns.toEqualTypeOf<TimestepDistribution>();
    expectTypeOf(core.sampleTimesteps).returns.toEqualTypeOf<Float64Array>();
    expectTypeOf<{ kind: 'beta'; alpha: number; beta: number; shift: number }>().toMatchTypeOf<DistributionSpec>();
    expectTypeOf<{ kind: 'range'; of: { kind: 'uniform' }; tMin: number; tMax: number; mode: 'rescale' }>().toMatchTypeOf<DistributionSpec>();
    expectTypeOf<{
      kind: 'mixture';
      components: { weight: number; spec: { kind: 'logsnr'; mean: number } }[];
    }>().toMatchTypeOf<DistributionSpec>();
    expectTypeOf(core.stratifiedStream).toEqualTypeOf<
      (dist: TimestepDistribution, rng: Rng, strata: number) => core.StratifiedStream
    >();
    expectTypeOf<ReturnType<core.StratifiedStream['state']>['rng']>().toEqualTypeOf<number[]>();
    expectTypeOf(core.shiftT).toEqualTypeOf<(t: number, shift: number) => number>();
    expectTypeOf(core.shiftSigma).toEqualTypeOf<(sigma: number, shift: number) => number>();
    expectTypeOf(core.resolutionShift).toEqualTypeOf<(pixels: number, basePixels: number) => number>();
    expectTypeOf(core.calculateShift).returns.toEqualTypeOf<number>();
    expectTypeOf(core.SHIFT_PRESETS).toMatchTypeOf<
      Readonly<Record<'sd3' | 'hunyuanvideo' | 'wan-720p' | 'wan-480p', { shift: number; source: string }>>
    >();
    // Every schedule has one shape: t (the default) gives `times`, sigma gives `sigmas`, both give `timesteps`.
    expectTypeOf(core.hunyuanVideoSchedule(4, { shift: 7 })).toEqualTypeOf<TimeSchedule>();
    expectTypeOf(core.hunyuanVideoSchedule(4, { shift: 7, convention: 't' }).times).toEqualTypeOf<Float64Array>();
    expectTypeOf(core.wanSchedule(4)).toEqualTypeOf<TimeSchedule>();
    expectTypeOf(core.wanSchedule(4, { convention: 'sigma' })).toEqualTypeOf<SigmaSchedule>();
    expectTypeOf(core.fluxSchedule(4, { seqLen: 256 })).toEqualTypeOf<TimeSchedule>();
    expectTypeOf(core.fluxSchedule(4, { seqLen: 256, convention: 'sigma' })).toEqualTypeOf<SigmaSchedule>();
    expectTypeOf(core.flowMatchEulerSchedule(4)).toEqualTypeOf<TimeSchedule>();
    expectTypeOf(core.flowMatchEulerSchedule(4, { convention: 'sigma' }).sigmas).toEqualTypeOf<Float64Array>();
    expectTypeOf(core.flowMatchEulerSchedule(4, { convention: 't' }).timesteps).toEqualTypeOf<Float64Array>();
    expectTypeOf(core.flowMatchEulerSchedule(4, { convention: 'sigma' as TimeConvention })).toEqualTypeOf<Schedule>();
    expectTypeOf<TimeSchedule>().toEqualTypeOf<{
      readonly convention: 't';
      readonly times: Float64Array;
      readonly timesteps: Float64Array;
    }>();
    expectTypeOf<SigmaSchedule>().toEqualTypeOf<{
      readonly convention: 'sigma';
      readonly sigmas: Float64Array;
      readonly timesteps: Float64Array;
    }>();
  });

  test('bulk fills return the array they are given', () => {
    expectTypeOf(core.fillTimesteps<Float32Array>).returns.toEqualTypeOf<Float32Array>();
    expectTypeOf(core.fillTimesteps<Float64Array>).parameter(1).toEqualTypeOf<Float64Array>();
    expectTypeOf(core.fillTimesteps).parameter(3).toEqualTypeOf<core.FillOptions | undefined>();
    expectTypeOf<core.NormalMethod>().toEqualTypeOf<'ziggurat' | 'inverse-cdf'>();
    expectTypeOf(core.fillStandardNormal<Float64Array>).returns.toEqualTypeOf<Float64Array>();
  });

  test('tfjs names and types', () => {
    expectTypeOf(tfjs.timestepTensor).returns.toEqualTypeOf<tf.Tensor1D>();
    expectTypeOf(tfjs.flowMatchingPair).returns.toEqualTypeOf<{ xt: tf.Tensor; velocity: tf.Tensor }>();
    expectTypeOf(tfjs.flowMatchingPair).parameter(2).toEqualTypeOf<tf.Tensor1D>();
  });
});
