// What a browser page imports from the app (apps/playground): the model, the sampler and the web
// model file, with nothing that needs Node. Importing it registers the app's kernels.

export { toByte } from '../media/browser.js';
export { createDit, type Dit, disposeDit, MODEL_PRESETS, type ModelConfig, patchDim, tokenCount } from '../model/index.js';
export { type SampleOptions, type SampleStep, sampleClips, samplingTimes } from '../sample/browser.js';
export { checkWebModelJson, decodeWebModel, encodeWebModel, WEB_MODEL_FORMAT, WebModelError, type WebModelJson, type WebSampling } from './model-file.js';
