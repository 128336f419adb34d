export { DEFAULT_VIDEO_DATA, SHAPE_KINDS, type ShapeKind, sizeRange, type VideoDataConfig, validateVideoDataConfig, videoDataConfig } from './config.js';
export { clipBatch, datasetSplit, generateClip } from './generate.js';
export { standardNormals } from './noise.js';
export { insideShape, PLAIN_BACKGROUND, TEXTURE_MAX } from './shapes.js';
