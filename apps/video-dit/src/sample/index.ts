export { type SampleOptions, type SampleStep, sampleClips, samplingTimes } from './euler.js';
export { sampleOptionsFor, sampleToFolder } from './sample.js';
