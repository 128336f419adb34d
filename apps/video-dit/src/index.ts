// The app's stages, bottom first, for scripts (bench/) that drive them without the CLI.
export * from './backend/index.js';
export * from './data/index.js';
export * from './model/index.js';
export * from './train/index.js';
export * from './sample/index.js';
export { validationLoss, type ValidationResult, type BucketLoss } from './eval/validation.js';
export { main } from './cli/main.js';
