import * as tf from '@tensorflow/tfjs-core';
import type { PassWork } from '../backend/browser.js';
import type { AdamWStep } from './adamw.js';

/*
 * The AdamW update on webgpu, written into the weights', moments' and EMA's own buffers: a
 * dispatch reads the gradients of a few weights (as many as the device's storage buffers per
 * shader stage allow, five each) and rewrites their p, m, v and ema where they are. tfjs programs
 * have one output each, so the functional kernel took four dispatches per weight and new buffers
 * for all four; in place the variables also keep their buffers from step to step, which a
 * recorded step replays against. The arithmetic is the functional kernel's, in its order.
 *
 * The update is guarded on the GPU, so that a step need not wait for its loss to be read: a first
 * dispatch reads the step's loss and gradient norm, keeps them in a slot of a history buffer (read
 * back for several steps at once) and works out the clipping factor; the weights' dispatches
 * change nothing once a loss or norm was not finite. That guard stays closed until it is reset,
 * so the steps issued after a bad one, before it was read, leave the weights as they were too.
 *
 * The step's numbers are one uniform buffer written each update; each dispatch has a uniform of
 * its weights' sizes and decay, and a bind group kept while their buffers stay the same.
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

const STEP = `
  struct Step {
    beta1 : f32, oneMinusBeta1 : f32, beta2 : f32, oneMinusBeta2 : f32,
    correction1 : f32, correction2 : f32, epsilon : f32, learningRate : f32,
    decay : f32, oneMinusDecay : f32, weightDecay : f32, maxNorm : f32,
    slot : u32, pad0 : u32, pad1 : u32, pad2 : u32,
  };
  struct Guard { open : u32, gradScale : f32 };
`;
/** The step uniform's 16 words, in the order of STEP's fields. */
const STEP_WORDS = 16;

/** The guard's word `open` and the clipping factor, as the update starts: open, no clipping. */
const OPEN_GUARD = new Uint32Array([1, 0x3f800000]);

/** One invocation: keeps the loss and norm, closes the guard if either is not finite, and works out the clipping. */
const GUARD_SHADER = `${STEP}
  @group(0) @binding(0) var<storage, read> stats : array<f32, 2>;
  @group(0) @binding(1) var<storage, read_write> guard : Guard;
  @group(0) @binding(2) var<storage, read_write> history : array<f32>;
  @group(0) @binding(3) var<uniform> step : Step;
  fn finite(x : f32) -> bool {
    // the bits, not a comparison: a compiler may assume no float is NaN or infinite
    return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
  }
  @compute @workgroup_size(1)
  fn main() {
    let loss = stats[0];
    let norm = stats[1];
    history[2u * step.slot] = loss;
    history[2u * step.slot + 1u] = norm;
    if (!finite(loss) || !finite(norm)) { guard.open = 0u; }
    guard.gradScale = select(1.0, step.maxNorm / norm, norm > step.maxNorm);
  }
`;

/** Weights one dispatch updates at most, where the device's storage buffers allow it. */
const MAX_WEIGHTS_PER_DISPATCH = 8;

/**
 * The update of `count` weights in one dispatch: five storage buffers each, and a uniform of where
 * each weight's workgroups start, its size and whether it is decayed. A workgroup finds its weight
 * by its number; the arithmetic is the same for each, written out per weight since WGSL cannot
 * pick a binding by index.
 */
function updateShader(count: number): string {
  const bindings: string[] = [];
  const branches: string[] = [];
  for (let w = 0; w < count; w++) {
    const names = ['P', 'G', 'M', 'V', 'E'].map((name) => `${name}${w}`);
    names.forEach((name, b) => {
      bindings.push(`@group(0) @binding(${5 * w + b}) var<storage, ${name.startsWith('G') ? 'read' : 'read_write'}> ${name} : array<f32>;`);
    });
    const [P, G, M, V, E] = names;
    branches.push(`if (w == ${w}u) {
      let grad = ${G}[i] * guard.gradScale;
      let m1 = ${M}[i] * step.beta1 + grad * step.oneMinusBeta1;
      let v1 = ${V}[i] * step.beta2 + grad * grad * step.oneMinusBeta2;
      let p1 = ${P}[i] - ((m1 / step.correction1) / (sqrt(v1 / step.correction2) + step.epsilon) + ${P}[i] * (step.weightDecay * decayed)) * step.learningRate;
      ${P}[i] = p1;
      ${M}[i] = m1;
      ${V}[i] = v1;
      ${E}[i] = ${E}[i] * step.decay + p1 * step.oneMinusDecay;
    }`);
  }
  return `${STEP}
  ${bindings.join('\n  ')}
  @group(0) @binding(${5 * count}) var<storage, read> guard : Guard;
  @group(0) @binding(${5 * count + 1}) var<uniform> step : Step;
  // per weight: its first workgroup, its size, 1 where it is decayed
  @group(0) @binding(${5 * count + 2}) var<uniform> weights : array<vec4<u32>, ${count}>;
  @compute @workgroup_size(${WORKGROUP})
  fn main(@builtin(workgroup_id) group : vec3<u32>, @builtin(local_invocation_index) local : u32) {
    if (guard.open == 0u) { return; }
    let g = group.y * ${MAX_GROUPS}u + group.x;
    var w = 0u;
    for (var k = 1u; k < ${count}u; k++) {
      if (g >= weights[k].x) { w = k; }
    }
    let i = (g - weights[w].x) * ${WORKGROUP}u + local;
    if (i >= weights[w].y) { return; }
    let decayed = f32(weights[w].z);
    ${branches.join(' else ')}
  }
`;
}

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

/** tfjs's record of a tensor's data: one per data id, its resource set to null once the data is freed. */
type TensorRecord = ReturnType<BackendInternals['tensorMap']['get']>;

/**
 * What the last update bound, kept for the next one with the same weights: each bound tensor
 * (p, g, m, v, ema of each weight, in turn), its data id and record and the buffer it had, and the
 * dispatches' weights and bind groups.
 */
interface BoundWeights {
  weights: readonly InPlaceWeight[];
  tensors: tf.Tensor[];
  dataIds: tf.DataId[];
  records: TensorRecord[];
  buffers: GPUBuffer[];
  groups: InPlaceWeight[][];
  bindGroups: GPUBindGroup[];
}

/** A weight's tensors in the order they are bound. */
function boundTensors(weight: InPlaceWeight): tf.Tensor[] {
  return [weight.p, weight.g, weight.m, weight.v, weight.ema];
}
/** Where the gradient, which the update reads and does not write, is among a weight's {@link boundTensors}. */
const GRADIENT_AT = 1;
const TENSORS_PER_WEIGHT = 5;

/** One guarded update's numbers: those of {@link AdamWStep} but the clipping, worked out on the GPU. */
export interface GuardedStep extends Omit<AdamWStep, 'gradScale'> {
  /** The bound on the gradients' global norm: over it, they are scaled down to it. */
  maxNorm: number;
}

/** The step's loss and gradient norm (a float32 tensor `[loss, norm]` on the GPU), and the history slot it is kept in. */
export interface StepStats {
  stats: tf.Tensor;
  slot: number;
  /**
   * Set on the last step before a read of this many slots: its commands also copy them where the
   * read maps them, so that the read needs no submit of its own.
   */
  readAfter?: number;
}

/** In-place AdamW updates of a fixed list of weights on the webgpu backend, guarded on the GPU. */
export class WebGpuAdamW {
  private readonly device: GPUDevice;
  /** The update's pipeline for each number of weights a dispatch takes. */
  private readonly pipelines = new Map<number, GPUComputePipeline>();
  private readonly guardPipeline: GPUComputePipeline;
  /** Weights one dispatch updates, as the device's storage buffers per shader stage allow. */
  readonly weightsPerDispatch: number;
  private readonly stepUniform: GPUBuffer;
  private readonly guard: GPUBuffer;
  private readonly history: GPUBuffer;
  private readonly readback: GPUBuffer;
  private guardBinding: WeightBinding | undefined;
  /** How many slots the last update's commands copied for the next read, if it did. */
  private copiedForRead: number | undefined;
  /** Per dispatch, its uniform of the weights' workgroups, sizes and decay, and its workgroups in all, made at the first update. */
  private readonly groupUniforms: { buffer: GPUBuffer; workgroups: number }[] = [];
  private readonly bindings: (WeightBinding | undefined)[] = [];
  private bound: BoundWeights | undefined;

  /**
   * @param slots - the steps whose loss and norm the history keeps between two reads.
   * @throws {Error} when the current backend is not webgpu.
   */
  constructor(readonly slots: number) {
    if (tf.getBackend() !== 'webgpu') throw new Error(`WebGpuAdamW runs on webgpu, not ${tf.getBackend()}`);
    this.device = (tf.backend() as unknown as BackendInternals).device;
    this.guardPipeline = this.pipeline(GUARD_SHADER);
    const perDispatch = Math.floor((this.device.limits.maxStorageBuffersPerShaderStage - 1) / 5);
    this.weightsPerDispatch = Math.max(1, Math.min(MAX_WEIGHTS_PER_DISPATCH, perDispatch));
    this.stepUniform = this.device.createBuffer({ size: STEP_WORDS * 4, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.guard = this.device.createBuffer({ size: OPEN_GUARD.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    this.device.queue.writeBuffer(this.guard, 0, OPEN_GUARD);
    this.history = this.device.createBuffer({ size: slots * 8, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    this.readback = this.device.createBuffer({ size: slots * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  /**
   * One update of every weight, in place (the variables keep their buffers), recorded into tfjs's
   * commands and submitted with them. A variable whose data another tensor shares is first given
   * a copy of its own, so that nothing else changes with it.
   * @param weights - the weights, always in the same order.
   * @param s - this update's numbers (its weight decay is applied to the decayed weights).
   * @param kept - the step's loss and norm, which guard the update and are kept for {@link readStats}.
   * @throws {RangeError} when the slot is not one of the history's.
   */
  update(weights: readonly InPlaceWeight[], s: GuardedStep, kept: StepStats): void {
    const backend = tf.backend() as unknown as BackendInternals;
    const work = this.passWork(weights, s, kept);
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    const pass = backend.commandEncoder.beginComputePass();
    work.dispatch(pass);
    pass.end();
    work.after?.(backend.commandEncoder);
    // Submitted now: tfjs may hand the gradients' buffers to a later queue.writeBuffer, which the
    // queue would run before a command buffer still waiting to be submitted.
    backend.submitQueue();
  }

  /**
   * The same update, for a replayed step to encode with its own dispatches. Prepare it before
   * the replay: a variable that needs a copy of its own gets it by tfjs ops, which must go first.
   * @returns its dispatches, and the copy for the next read where `kept.readAfter` asks for one.
   * @throws {RangeError} when the slot is not one of the history's.
   */
  passWork(weights: readonly InPlaceWeight[], s: GuardedStep, kept: StepStats): PassWork {
    const backend = tf.backend() as unknown as BackendInternals;
    if (!Number.isInteger(kept.slot) || kept.slot < 0 || kept.slot >= this.slots) throw new RangeError(`slot ${kept.slot} is not one of the history's ${this.slots}`);
    if (kept.readAfter !== undefined) this.checkReadCount(kept.readAfter);
    const words = new ArrayBuffer(STEP_WORDS * 4);
    const values = [s.beta1, 1 - s.beta1, s.beta2, 1 - s.beta2, s.correction1, s.correction2, s.epsilon, s.learningRate, s.emaDecay, 1 - s.emaDecay, s.weightDecay, s.maxNorm];
    new Float32Array(words).set(values);
    new Uint32Array(words)[values.length] = kept.slot;
    this.device.queue.writeBuffer(this.stepUniform, 0, words);
    const guardGroup = this.guardBindGroup(backend, kept.stats);
    if (!this.stillBound(weights)) this.bound = this.bind(backend, weights);
    const { groups, bindGroups, records } = this.bound!;
    this.copiedForRead = undefined;
    return {
      dispatch: (pass) => {
        pass.setPipeline(this.guardPipeline);
        pass.setBindGroup(0, guardGroup);
        pass.dispatchWorkgroups(1);
        for (const [d, group] of groups.entries()) {
          const { workgroups } = this.groupUniforms[d]!;
          pass.setPipeline(this.updatePipeline(group.length));
          pass.setBindGroup(0, bindGroups[d]!);
          pass.dispatchWorkgroups(Math.min(workgroups, MAX_GROUPS), Math.ceil(workgroups / MAX_GROUPS));
        }
        // a copy tfjs kept on the CPU from an earlier read is stale now (the gradients are not written)
        for (const [i, record] of records.entries()) if (i % TENSORS_PER_WEIGHT !== GRADIENT_AT) record.values = null;
      },
      after: (encoder) => {
        if (kept.readAfter === undefined) return;
        encoder.copyBufferToBuffer(this.history, 0, this.readback, 0, kept.readAfter * 8);
        this.copiedForRead = kept.readAfter;
      },
    };
  }

  /**
   * The loss and norm kept by the updates since the last read, from the first slot on, after
   * every command so far.
   * @param count - how many slots to read.
   * @returns `[loss, norm]` of each slot, one after another.
   */
  async readStats(count: number): Promise<Float32Array> {
    this.checkReadCount(count);
    if (this.copiedForRead !== count) {
      const backend = tf.backend() as unknown as BackendInternals;
      backend.ensureCommandEncoderReady();
      backend.endComputePassEncoder();
      backend.commandEncoder.copyBufferToBuffer(this.history, 0, this.readback, 0, count * 8);
      backend.submitQueue();
    }
    this.copiedForRead = undefined;
    await this.readback.mapAsync(GPUMapMode.READ, 0, count * 8);
    const values = new Float32Array(this.readback.getMappedRange(0, count * 8).slice(0));
    this.readback.unmap();
    return values;
  }

  private checkReadCount(count: number): void {
    if (!Number.isInteger(count) || count < 1 || count > this.slots) throw new RangeError(`read 1 to ${this.slots} slots, not ${count}`);
  }

  /** Opens the guard again after a loss or norm that was not finite: the next updates apply. */
  reopen(): void {
    this.device.queue.writeBuffer(this.guard, 0, OPEN_GUARD);
  }

  /** The weights in runs of {@link weightsPerDispatch}, one run a dispatch. */
  private groupsOf(weights: readonly InPlaceWeight[]): InPlaceWeight[][] {
    const groups: InPlaceWeight[][] = [];
    for (let at = 0; at < weights.length; at += this.weightsPerDispatch) groups.push(weights.slice(at, at + this.weightsPerDispatch));
    return groups;
  }

  private pipeline(code: string): GPUComputePipeline {
    return this.device.createComputePipeline({ layout: 'auto', compute: { module: this.device.createShaderModule({ code }), entryPoint: 'main' } });
  }

  private updatePipeline(count: number): GPUComputePipeline {
    let pipeline = this.pipelines.get(count);
    if (pipeline === undefined) {
      pipeline = this.pipeline(updateShader(count));
      this.pipelines.set(count, pipeline);
    }
    return pipeline;
  }

  /** The guard's bind group, kept while the stats keep their buffer. */
  private guardBindGroup(backend: BackendInternals, stats: tf.Tensor): GPUBindGroup {
    if (stats.size !== 2 || stats.dtype !== 'float32') throw new RangeError(`the stats are float32 [loss, norm], got ${stats.dtype} [${stats.shape}]`);
    backend.uploadToGPU(stats.dataId);
    const buffer = backend.tensorMap.get(stats.dataId).resource!;
    if (this.guardBinding?.buffers[0] === buffer) return this.guardBinding.bindGroup;
    const bindGroup = this.bindBuffers(this.guardPipeline, [buffer, this.guard, this.history, this.stepUniform]);
    this.guardBinding = { buffers: [buffer], bindGroup };
    return bindGroup;
  }

  /**
   * Whether the last update's bindings hold for these weights, checked without looking up any
   * tensor's data, since a replayed step prepares its update within its issue time: the same weights, each
   * tensor with the same data id, whose record still has its buffer (tfjs nulls it when the data
   * is freed) and, for what the update writes, no other tensor sharing it.
   */
  private stillBound(weights: readonly InPlaceWeight[]): boolean {
    const bound = this.bound;
    if (bound?.weights !== weights) return false;
    for (const [i, tensor] of bound.tensors.entries()) {
      const record = bound.records[i]!;
      if (tensor.dataId !== bound.dataIds[i] || record.resource !== bound.buffers[i] || (i % TENSORS_PER_WEIGHT !== GRADIENT_AT && record.refCount > 1)) return false;
    }
    return true;
  }

  /** Binds the weights anew: their buffers looked up (a variable given a copy of its own where its data is shared) and each dispatch's bind group. */
  private bind(backend: BackendInternals, weights: readonly InPlaceWeight[]): BoundWeights {
    const groups = this.groupsOf(weights);
    const records: TensorRecord[] = [];
    const bindGroups = groups.map((group, d) => this.bindGroupOf(backend, group, d, records));
    // read after bindGroupOf, which may have given a variable new data
    const tensors = weights.flatMap(boundTensors);
    return { weights, tensors, dataIds: tensors.map((tensor) => tensor.dataId), records, buffers: records.map((record) => record.resource!), groups, bindGroups };
  }

  /** A dispatch's bind group, its weights' buffers looked up once; the records they were found in go to `records`, in bound order. */
  private bindGroupOf(backend: BackendInternals, group: readonly InPlaceWeight[], d: number, records: TensorRecord[]): GPUBindGroup {
    const buffers: GPUBuffer[] = [];
    for (const weight of group) {
      for (const tensor of boundTensors(weight)) {
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
        records.push(data);
      }
    }
    const kept = this.bindings[d];
    if (kept?.buffers.length === buffers.length && kept.buffers.every((buffer, i) => buffer === buffers[i])) return kept.bindGroup;
    this.groupUniforms[d] ??= this.groupUniform(group);
    const bindGroup = this.bindBuffers(this.updatePipeline(group.length), [...buffers, this.guard, this.stepUniform, this.groupUniforms[d]!.buffer]);
    this.bindings[d] = { buffers, bindGroup };
    return bindGroup;
  }

  /** A bind group of the pipeline's group 0 with these buffers, bound in order. */
  private bindBuffers(pipeline: GPUComputePipeline, buffers: readonly GPUBuffer[]): GPUBindGroup {
    return this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
  }

  /** Where each weight's workgroups start, its size and its decay; and the workgroups of them all. */
  private groupUniform(group: readonly InPlaceWeight[]): { buffer: GPUBuffer; workgroups: number } {
    const words = new Uint32Array(4 * group.length);
    let workgroups = 0;
    for (const [w, weight] of group.entries()) {
      words.set([workgroups, weight.p.size, weight.decayed ? 1 : 0], 4 * w);
      workgroups += Math.ceil(weight.p.size / WORKGROUP);
    }
    const buffer = this.device.createBuffer({ size: words.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.device.queue.writeBuffer(buffer, 0, words);
    return { buffer, workgroups };
  }

  /** Frees the buffers it made. */
  dispose(): void {
    for (const buffer of [this.stepUniform, this.guard, this.history, this.readback, ...this.groupUniforms.map((group) => group.buffer)]) buffer.destroy();
  }
}
