import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';

const registeredClasses = () => Object.keys(tf.serialization.SerializationMap.getMap().classNameMap);

test('the main entry exports tables, applyRope and permutations, and registers no layer; ./layer registers Rope3D', async () => {
  const main = await import('./index.js');
  expect(Object.keys(main).sort()).toEqual([
    'DEFAULT_MAX_POSITIONS',
    'ROPE_PRESETS',
    'applyRope',
    'axisDimsFor',
    'axisHalfSplitToPackedPermutation',
    'clearRopeCache',
    'interleavedToPackedPermutation',
    'invertPermutation',
    'mropeSectionFor',
    'packedToInterleavedPermutation',
    'permuteHeadChannels',
    'riflexIntrinsicFrequency',
    'ropeTable',
    'tokenPositions',
  ]);
  expect(registeredClasses()).not.toContain('flowdit.Rope3D');
  const { Rope3D } = await import('./layer.js');
  expect(tf.serialization.SerializationMap.getMap().classNameMap['flowdit.Rope3D']?.[0]).toBe(Rope3D);
});
