export {
  type AxisTriple,
  axisDimsFor,
  DEFAULT_MAX_POSITIONS,
  ROPE_PRESETS,
  type RiflexOptions,
  type RopeLayout,
  type RopePreset,
  type RopeTableOptions,
} from './options.js';
export { type RopeTable, riflexIntrinsicFrequency, ropeTable, tokenPositions } from './table.js';
export { type ApplyRopeOptions, applyRope, clearRopeCache } from './apply.js';
export {
  axisHalfSplitToPackedPermutation,
  interleavedToPackedPermutation,
  invertPermutation,
  packedToInterleavedPermutation,
  permuteHeadChannels,
} from './permutation.js';
