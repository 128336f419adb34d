import * as tf from '@tensorflow/tfjs-core';
import { assignParams, createDit, type Dit, disposeDit, type ModelConfig, validateModelConfig } from '../model/index.js';

/*
 * A run's EMA weights for a web page: a JSON file in tfjs's own weights format (its
 * `weightsManifest` is what `tf.io.loadWeights` and `tf.io.decodeWeights` read) beside one
 * binary file of float32 values, plus what the page needs to rebuild the model and sample it as
 * the run does. Browser-safe: no Node module.
 */

/** Identifies the model files `video-dit export-web` writes. */
export const WEB_MODEL_FORMAT = 'flowdit-video-dit-web';

/** How the run samples, with its shift resolved (t convention: a shift > 1 spends more steps near noise). */
export interface WebSampling {
  count: number;
  steps: number;
  shift: number;
  seed: number;
  stochasticity: number;
}

/** The JSON file of a web model. */
export interface WebModelJson {
  format: typeof WEB_MODEL_FORMAT;
  version: 1;
  /** Training steps of the checkpoint the weights come from. */
  step: number;
  /** The model's shape and size: the app's `ModelConfig`. */
  model: ModelConfig;
  /** The run's sampling section, shift resolved. */
  sample: WebSampling;
  /** The shift the run trained with (t convention). */
  trainingShift: number;
  /** tfjs's weights manifest: one group, one binary file named relative to this JSON file. */
  weightsManifest: tf.io.WeightsManifestConfig;
}

/** A model file that is not one of ours or does not fit its binary file. */
export class WebModelError extends Error {
  override name = 'WebModelError';
}

/**
 * The two files of a model's weights.
 * @param model - the model (a run's EMA copy).
 * @param info - the checkpoint's step, the run's sampling and its training shift.
 * @param weightsPath - the binary file's name as the JSON names it (relative to the JSON file).
 * @returns the JSON object and the binary file's bytes (float32, the manifest's order).
 */
export async function encodeWebModel(
  model: Dit,
  info: { step: number; sample: WebSampling; trainingShift: number },
  weightsPath: string,
): Promise<{ json: WebModelJson; weights: ArrayBuffer }> {
  const named = [...model.params].map(([name, tensor]) => ({ name, tensor }));
  const { data, specs } = await tf.io.encodeWeights(named);
  const weights = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
  return {
    json: {
      format: WEB_MODEL_FORMAT,
      version: 1,
      step: info.step,
      model: model.config,
      sample: info.sample,
      trainingShift: info.trainingShift,
      weightsManifest: [{ paths: [weightsPath], weights: specs }],
    },
    weights,
  };
}

/**
 * Checks a parsed JSON file of a web model.
 * @param json - the parsed file.
 * @returns it, typed.
 * @throws {WebModelError} when it is not one of ours, or its manifest is not one group of one file.
 */
export function checkWebModelJson(json: unknown): WebModelJson {
  const file = json as Partial<WebModelJson> | null;
  if (typeof file !== 'object' || file === null || file.format !== WEB_MODEL_FORMAT || file.version !== 1) {
    throw new WebModelError(`not a ${WEB_MODEL_FORMAT} v1 model file (format ${JSON.stringify(file?.format)}, version ${JSON.stringify(file?.version)})`);
  }
  const manifest = file.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length !== 1 || manifest[0]!.paths.length !== 1) {
    throw new WebModelError('the weightsManifest must be one group with one binary file');
  }
  validateModelConfig(file.model!);
  return file as WebModelJson;
}

/**
 * Rebuilds the model from its two files.
 * @param json - the JSON file, parsed.
 * @param weights - the bytes of the binary file it names.
 * @returns the model (dispose it with `disposeDit`) and the checked JSON.
 * @throws {WebModelError} when the JSON is not ours, or the binary file does not hold the weights the model needs.
 */
export function decodeWebModel(json: unknown, weights: ArrayBuffer): { model: Dit; file: WebModelJson } {
  const file = checkWebModelJson(json);
  const specs = file.weightsManifest[0]!.weights;
  const bytes = specs.reduce((sum, spec) => sum + 4 * spec.shape.reduce((a, b) => a * b, 1), 0);
  if (specs.some((spec) => spec.dtype !== 'float32') || bytes !== weights.byteLength) {
    throw new WebModelError(`the weights file has ${weights.byteLength} bytes; the manifest's float32 weights need ${bytes}`);
  }
  const tensors = tf.io.decodeWeights(weights, specs);
  const model = createDit(file.model, 0);
  try {
    assignParams(model.params, new Map(Object.entries(tensors)), 'weights');
  } catch (error) {
    disposeDit(model);
    throw new WebModelError(`the model file does not fit its own model config: ${(error as Error).message}`);
  }
  return { model, file };
}
