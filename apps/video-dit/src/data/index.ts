export {
  DEFAULT_VIDEO_DATA,
  SHAPE_KINDS,
  type ShapeKind,
  type VideoDataConfig,
  sizeRange,
  validateVideoDataConfig,
  videoDataConfig,
} from './config.js';
export {
  type ObjectTrack,
  VALIDATION_INDEX_OFFSET,
  type VideoClip,
  clipBatch,
  datasetSplit,
  generateClip,
  splitOf,
} from './generate.js';
export { standardNormals } from './noise.js';
export { OBJECT_PALETTE, PLAIN_BACKGROUND, TEXTURE_MAX, insideShape } from './shapes.js';
