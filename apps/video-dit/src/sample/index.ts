export {
  type SampleOptions,
  sampleClips,
  sampleOptionsFor,
  sampleToFolder,
  samplingTimes,
  type WrittenSamples,
} from './sample.js';
