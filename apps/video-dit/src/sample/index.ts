export { type SampleOptions, sampleClips, sampleOptionsFor, sampleToFolder } from './sample.js';
