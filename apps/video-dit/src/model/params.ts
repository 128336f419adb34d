import { createRng, type Rng } from '@flowdit/timestep-shift';
import * as tf from '@tensorflow/tfjs-core';
import { type ModelConfig, patchDim } from './config.js';

/**
 * The model's weights: trainable variables by name, in a fixed order (creation order), which is
 * also the order of checkpoints and optimizer state.
 */
export type ModelParams = Map<string, tf.Variable>;

function xavierUniform(rng: Rng, fanIn: number, fanOut: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const values = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < values.length; i++) values[i] = (2 * rng.uniform() - 1) * limit;
  return values;
}

function normalValues(rng: Rng, count: number, std: number): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = rng.normal() * std;
  return values;
}

/**
 * Creates the weights of a DiT, deterministically from a seed: Xavier-uniform projections,
 * N(0, 0.02) timestep MLP, and the adaLN-Zero start where every block's modulation and the final
 * projection are zero (each block begins as the identity).
 * @param config - a validated model config.
 * @param seed - non-negative integer seed.
 * @returns a new map of trainable variables (dispose with {@link disposeParams}).
 */
export function initParams(config: ModelConfig, seed: number): ModelParams {
  const rng = createRng(seed);
  const params: ModelParams = new Map();
  const d = config.hidden;
  const mlp = Math.round(config.hidden * config.mlpRatio);
  const add = (name: string, shape: number[], values?: Float32Array) => {
    const tensor = values === undefined ? tf.zeros(shape) : tf.tensor(values, shape);
    // Unnamed: tfjs variable names are global, and several models (EMA, tests) coexist.
    params.set(name, tf.variable(tensor, true));
    tensor.dispose();
  };
  const linear = (name: string, fanIn: number, fanOut: number, init: 'xavier' | 'zero' | 'normal') => {
    const values =
      init === 'xavier'
        ? xavierUniform(rng, fanIn, fanOut)
        : init === 'normal'
          ? normalValues(rng, fanIn * fanOut, 0.02)
          : undefined;
    add(`${name}.w`, [fanIn, fanOut], values);
    add(`${name}.b`, [fanOut]);
  };
  linear('patch_in', patchDim(config), d, 'xavier');
  linear('time.fc1', config.timeFeatures, d, 'normal');
  linear('time.fc2', d, d, 'normal');
  for (let i = 0; i < config.depth; i++) {
    linear(`block${i}.mod`, d, 6 * d, 'zero');
    linear(`block${i}.qkv`, d, 3 * d, 'xavier');
    linear(`block${i}.proj`, d, d, 'xavier');
    linear(`block${i}.fc1`, d, mlp, 'xavier');
    linear(`block${i}.fc2`, mlp, d, 'xavier');
  }
  linear('final.mod', d, 2 * d, 'zero');
  if (config.headHidden > 0) {
    linear('final.fc', d, config.headHidden, 'xavier');
    linear('final.out', config.headHidden, patchDim(config), 'zero');
  } else {
    linear('final.out', d, patchDim(config), 'zero');
  }
  return params;
}

/**
 * Disposes every variable of a parameter map.
 * @param params - the map to dispose.
 */
export function disposeParams(params: ModelParams): void {
  for (const v of params.values()) v.dispose();
}

/**
 * Copies a parameter map into new non-trainable variables (e.g. the EMA weights).
 * @param params - the weights to copy.
 * @returns a new map with the same names and values.
 */
export function cloneParams(params: ModelParams): ModelParams {
  const copy: ModelParams = new Map();
  for (const [name, v] of params) copy.set(name, tf.variable(v, false));
  return copy;
}

/**
 * Looks up a weight.
 * @param params - the parameter map.
 * @param name - the weight's name.
 * @returns the variable.
 * @throws Error when the map has no such weight.
 */
export function param(params: ModelParams, name: string): tf.Variable {
  const v = params.get(name);
  if (v === undefined) throw new Error(`model weight '${name}' is missing`);
  return v;
}

/**
 * Copies tensors into existing variables of the same names and shapes (a checkpoint's values).
 * @param target - the variables to overwrite.
 * @param source - the values by name; disposed afterwards.
 * @param group - what the values are, for error messages (e.g. `ema`).
 * @throws {Error} when a name is missing or a shape differs.
 */
export function assignParams(target: ModelParams, source: ReadonlyMap<string, tf.Tensor>, group: string): void {
  try {
    for (const [name, variable] of target) {
      const value = source.get(name);
      if (value === undefined) throw new Error(`checkpoint has no '${group}/${name}'`);
      if (value.shape.join(',') !== variable.shape.join(',')) {
        throw new Error(`checkpoint '${group}/${name}' has shape [${value.shape}], the model expects [${variable.shape}]`);
      }
      variable.assign(value);
    }
  } finally {
    for (const tensor of source.values()) tensor.dispose();
  }
}
