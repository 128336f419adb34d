// The part of this stage a web page can bundle (apps/playground): the sampler without the files.
export { type SampleOptions, type SampleStep, sampleClips, samplingTimes } from './euler.js';
