import * as tf from '@tensorflow/tfjs-core';
import type { AdamWStep } from './adamw.js';

/*
 * The AdamW update on webgpu, written into the weights', moments' and EMA's own buffers: one
 * dispatch per weight that reads the gradient and rewrites p, m, v and ema where they are. tfjs
 * programs have one output each, so the functional kernel took four dispatches per weight and new
 * buffers for all four; in place the variables also keep their buffers from step to step, which a
 * recorded step replays against. The arithmetic is the functional kernel's, in its order.
 *
 * The step's numbers are one uniform buffer written each update; each weight has a uniform of its
 * size and decay, and a bind group kept while its five buffers stay the same.
 */

/** One weight's variables and this update's gradient. */
export interface InPlaceWeight {
  p: tf.Variable;
  g: tf.Tensor;
  m: tf.Variable;
  v: tf.Variable;
  ema: tf.Variable;
  /** Whether the weight decay applies (matrices, not biases). */
  decayed: boolean;
}

const WORKGROUP = 64;
/** WebGPU's guaranteed workgroups per dispatch dimension. */
const MAX_GROUPS = 65535;

const SHADER = `
  struct Step {
    gradScale : f32, beta1 : f32, oneMinusBeta1 : f32, beta2 : f32,
    oneMinusBeta2 : f32, correction1 : f32, correction2 : f32, epsilon : f32,
    learningRate : f32, decay : f32, oneMinusDecay : f32, weightDecay : f32,
  };
  struct Weight { size : u32, decayed : f32, pad0 : f32, pad1 : f32 };
  @group(0) @binding(0) var<storage, read_write> P : array<f32>;
  @group(0) @binding(1) var<storage, read> G : array<f32>;
  @group(0) @binding(2) var<storage, read_write> M : array<f32>;
  @group(0) @binding(3) var<storage, read_write> V : array<f32>;
  @group(0) @binding(4) var<storage, read_write> E : array<f32>;
  @group(0) @binding(5) var<uniform> step : Step;
  @group(0) @binding(6) var<uniform> weight : Weight;
  @compute @workgroup_size(${WORKGROUP})
  fn main(@builtin(global_invocation_id) id : vec3<u32>) {
    let i = id.y * ${MAX_GROUPS * WORKGROUP}u + id.x;
    if (i >= weight.size) { return; }
    let grad = G[i] * step.gradScale;
    let m1 = M[i] * step.beta1 + grad * step.oneMinusBeta1;
    let v1 = V[i] * step.beta2 + grad * grad * step.oneMinusBeta2;
    let p1 = P[i] - ((m1 / step.correction1) / (sqrt(v1 / step.correction2) + step.epsilon) + P[i] * (step.weightDecay * weight.decayed)) * step.learningRate;
    P[i] = p1;
    M[i] = m1;
    V[i] = v1;
    E[i] = E[i] * step.decay + p1 * step.oneMinusDecay;
  }
`;

/** What tfjs-backend-webgpu 4.22 keeps per tensor, and the encoder calls its kernels record into. */
interface BackendInternals {
  device: GPUDevice;
  tensorMap: { get(dataId: tf.DataId): { resource: GPUBuffer | null; values: unknown; refCount: number } };
  uploadToGPU(dataId: tf.DataId): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  commandEncoder: GPUCommandEncoder;
  submitQueue(): void;
}

interface WeightBinding {
  buffers: GPUBuffer[];
  bindGroup: GPUBindGroup;
}

/** In-place AdamW updates of a fixed list of weights on the webgpu backend. */
export class WebGpuAdamW {
  private readonly device: GPUDevice;
  private readonly pipeline: GPUComputePipeline;
  private readonly stepUniform: GPUBuffer;
  private readonly weightUniforms: GPUBuffer[] = [];
  private readonly bindings: (WeightBinding | undefined)[] = [];

  /** @throws {Error} when the current backend is not webgpu. */
  constructor() {
    if (tf.getBackend() !== 'webgpu') throw new Error(`WebGpuAdamW runs on webgpu, not ${tf.getBackend()}`);
    this.device = (tf.backend() as unknown as BackendInternals).device;
    const module = this.device.createShaderModule({ code: SHADER });
    this.pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    this.stepUniform = this.device.createBuffer({ size: 48, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  }

  /**
   * One update of every weight, in place (the variables keep their buffers). A variable whose data
   * another tensor shares is first given a copy of its own, so that nothing else changes with it.
   * @param weights - the weights, always in the same order.
   * @param s - this update's numbers (its weight decay is applied to the decayed weights).
   */
  update(weights: readonly InPlaceWeight[], s: AdamWStep): void {
    const backend = tf.backend() as unknown as BackendInternals;
    const values = [s.gradScale, s.beta1, 1 - s.beta1, s.beta2, 1 - s.beta2, s.correction1, s.correction2, s.epsilon, s.learningRate, s.emaDecay, 1 - s.emaDecay, s.weightDecay];
    this.device.queue.writeBuffer(this.stepUniform, 0, Float32Array.from(values));
    const written: { values: unknown }[] = [];
    const bindGroups = weights.map((weight, w) => this.bindGroupOf(backend, weight, w, written));
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    const pass = backend.commandEncoder.beginComputePass();
    pass.setPipeline(this.pipeline);
    for (const [w, weight] of weights.entries()) {
      const groups = Math.ceil(weight.p.size / WORKGROUP);
      pass.setBindGroup(0, bindGroups[w]!);
      pass.dispatchWorkgroups(Math.min(groups, MAX_GROUPS), Math.ceil(groups / MAX_GROUPS));
    }
    pass.end();
    // Submitted now: tfjs may hand the gradients' buffers to a later queue.writeBuffer, which the
    // queue would run before a command buffer still waiting to be submitted.
    backend.submitQueue();
    // a copy tfjs kept on the CPU from an earlier read is stale now
    for (const data of written) data.values = null;
  }

  /** The weight's bind group, its buffers looked up once; the data of what it writes goes to `written`. */
  private bindGroupOf(backend: BackendInternals, weight: InPlaceWeight, w: number, written: { values: unknown }[]): GPUBindGroup {
    const buffers: GPUBuffer[] = [];
    for (const tensor of [weight.p, weight.g, weight.m, weight.v, weight.ema]) {
      let data = backend.tensorMap.get(tensor.dataId);
      if (tensor !== weight.g && data.refCount > 1) {
        const variable = tensor as tf.Variable;
        const copy = tf.tidy(() => tf.add(variable, tf.zerosLike(variable)));
        variable.assign(copy);
        copy.dispose();
        data = backend.tensorMap.get(variable.dataId);
      }
      if (data.resource == null) {
        backend.uploadToGPU(tensor.dataId);
        data = backend.tensorMap.get(tensor.dataId);
      }
      buffers.push(data.resource!);
      if (tensor !== weight.g) written.push(data);
    }
    const kept = this.bindings[w];
    if (kept?.buffers.every((buffer, i) => buffer === buffers[i])) return kept.bindGroup;
    this.weightUniforms[w] ??= this.weightUniform(weight);
    const entries = [...buffers.map((buffer) => ({ buffer })), { buffer: this.stepUniform }, { buffer: this.weightUniforms[w]! }];
    const bindGroup = this.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: entries.map((resource, binding) => ({ binding, resource })),
    });
    this.bindings[w] = { buffers, bindGroup };
    return bindGroup;
  }

  private weightUniform(weight: InPlaceWeight): GPUBuffer {
    const buffer = this.device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const data = new ArrayBuffer(16);
    new Uint32Array(data, 0, 1)[0] = weight.p.size;
    new Float32Array(data, 4, 1)[0] = weight.decayed ? 1 : 0;
    this.device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  }

  /** Frees the uniform buffers. */
  dispose(): void {
    for (const buffer of [this.stepUniform, ...this.weightUniforms]) buffer.destroy();
  }
}
