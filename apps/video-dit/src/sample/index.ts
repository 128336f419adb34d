export { type SampleOptions, sampleClips, samplingTimes, writeSamples } from './sample.js';
