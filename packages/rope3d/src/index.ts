export { type ApplyRopeOptions, applyRope, clearRopeCache } from './apply.js';
export {
  type AxisTriple,
  type AxisValues,
  axisDimsFor,
  DEFAULT_MAX_POSITIONS,
  type DypeOptions,
  type FrequencyLayout,
  type MropeOptions,
  mropeSectionFor,
  type RiflexOptions,
  ROPE_PRESETS,
  type RopeLayout,
  type RopePositions,
  type RopePreset,
  type RopePresetInfo,
  type RopeSegment,
  type RopeTableOptions,
  type YarnOptions,
} from './options.js';
export {
  axisHalfSplitToPackedPermutation,
  interleavedToPackedPermutation,
  invertPermutation,
  packedToInterleavedPermutation,
  permuteHeadChannels,
} from './permutation.js';
export { type RopeTable, type RopeTableSegment, riflexIntrinsicFrequency, ropeTable, tokenPositions } from './table.js';
