// The part of this stage a web page can bundle (apps/playground): no Node module behind it.
export { deviceTensor } from './device-tensor.js';
export { ReplayedWork, type WorkRun } from './replayed-work.js';
