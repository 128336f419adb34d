export { type ApplyRopeOptions, applyRope, clearRopeCache } from './apply.js';
export {
  type AxisTriple,
  axisDimsFor,
  DEFAULT_MAX_POSITIONS,
  type RiflexOptions,
  ROPE_PRESETS,
  type RopeLayout,
  type RopePreset,
  type RopeTableOptions,
} from './options.js';
export {
  axisHalfSplitToPackedPermutation,
  interleavedToPackedPermutation,
  invertPermutation,
  packedToInterleavedPermutation,
  permuteHeadChannels,
} from './permutation.js';
export { type RopeTable, riflexIntrinsicFrequency, ropeTable, tokenPositions } from './table.js';
