// The part of this stage a web page can bundle (apps/playground): no Node module behind it.

export type { PassWork } from './captured-work.js';
export { deviceTensor } from './device-tensor.js';
export { type AfterRun, ReplayedWork, type WorkRun } from './replayed-work.js';
