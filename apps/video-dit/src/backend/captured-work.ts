import * as tf from '@tensorflow/tfjs-core';
import { dawnPrototypes, listenAll } from './dawn-hooks.js';
import { deviceTensor } from './device-tensor.js';

/*
 * Record once, replay every step. A piece of webgpu work with the same shapes each time (the
 * gradients of a training step) is run once by tfjs while its calls into Dawn are recorded: the
 * pipelines, bind groups and workgroup counts of its dispatches. Later runs write only the inputs
 * and encode the recorded dispatches in one pass and one submit, with no tfjs op on the way.
 *
 * What makes a recording hold:
 * - While recording, tfjs's buffer pool hands out only new buffers, and the buffers it frees go
 *   back to the recording, not to the pool: every buffer has one role (intermediates, uniforms,
 *   inputs, outputs) and no later eager op is given one the recording writes. Each uniform buffer
 *   is then written once, while recording, and keeps its bytes.
 * - The buffers the work reads without having made them (the weights, kept constants) are pinned:
 *   when tfjs frees one (a weight assigned anew, a constant disposed), the recording is void.
 * - Anything else that would freeze a value or read stale data refuses the recording: an upload
 *   of CPU data (a JS number turned into a tensor), a copy, a read back to the CPU, or a write to
 *   a buffer the recording did not make. tfjs's small-op CPU forwarding is off while recording.
 * Internals of tfjs-backend-webgpu 4.22 this relies on: its buffer manager's acquireBuffer and
 * releaseBuffer, the tensor map's buffers and CPU copies, and submitQueue.
 */

/**
 * One input of the work: values from the CPU (written into the recording's buffer) or a float32
 * tensor already on the GPU (copied there on the GPU: the output of a previous run, for example).
 */
export type WorkInput = { values: Float32Array; shape: number[] } | { tensor: tf.Tensor };

/** An input's shape. */
export function inputShape(input: WorkInput): number[] {
  return 'tensor' in input ? input.tensor.shape : input.shape;
}

/** More work a replay encodes with its own: dispatches in its compute pass, then commands after the pass. */
export interface PassWork {
  dispatch(pass: GPUComputePassEncoder): void;
  after?(encoder: GPUCommandEncoder): void;
}

/** One input's data for a replay: CPU values, or a tensor on the GPU. */
export type ReplayInput = Float32Array | tf.Tensor;

interface BufferManager {
  /** Free buffers by `${size}_${usage}`; releasing with reuse pushes onto the size's list. */
  freeBuffers: Map<string, GPUBuffer[]>;
  acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): GPUBuffer;
  releaseBuffer(buffer: GPUBuffer, reuse?: boolean): void;
}

interface BackendInternals {
  device: GPUDevice;
  queue: GPUQueue;
  bufferManager: BufferManager;
  tensorMap: { get(dataId: tf.DataId): { resource: GPUBuffer | null; values: unknown } };
  uploadToGPU(dataId: tf.DataId): void;
  ensureCommandEncoderReady(): void;
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

type PassCommand =
  | { kind: 'pipeline'; pipeline: GPUComputePipeline }
  | { kind: 'bindGroup'; index: number; bindGroup: GPUBindGroup }
  | { kind: 'dispatch'; x: number; y: number; z: number };

interface Recording {
  owned: Set<GPUBuffer>;
  /** Owned buffers tfjs freed while recording: back to the pool if the recording is refused. */
  freed: Set<GPUBuffer>;
  bound: Map<GPUBindGroup, GPUBuffer[]>;
  /** What was written into owned buffers while recording (uniforms, the inputs). */
  written: Map<GPUBuffer, Uint8Array>;
  commands: PassCommand[];
  refused: string | undefined;
}

/** Stable numbers for objects, so that two recordings' traces can name the same ones alike. */
const objectIds = new WeakMap<object, number>();
let nextObjectId = 0;
function objectId(object: object): number {
  let id = objectIds.get(object);
  if (id === undefined) {
    id = nextObjectId++;
    objectIds.set(object, id);
  }
  return id;
}

function bytesOf(data: ArrayBuffer | ArrayBufferView, dataOffset = 0, size?: number): Uint8Array {
  if (ArrayBuffer.isView(data)) {
    const element = (data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
    const start = data.byteOffset + dataOffset * element;
    return new Uint8Array(data.buffer, start, size === undefined ? data.byteLength - dataOffset * element : size * element).slice();
  }
  return new Uint8Array(data as ArrayBuffer, dataOffset, size ?? (data as ArrayBuffer).byteLength - dataOffset).slice();
}

/**
 * What a recording does, as text: its pipelines, dispatch sizes, and for each binding either a
 * buffer made by the recording (numbered in order of use, with its size and the bytes written
 * into it, the inputs' excepted) or a buffer it reads from outside. Two recordings of the same
 * work with only the inputs changing have the same trace; one that froze a per-step value (a
 * constant made for this step's number) does not.
 */
function traceOf(record: Recording, inputs: ReadonlySet<GPUBuffer>): string {
  const numbers = new Map<GPUBuffer, number>();
  const name = (buffer: GPUBuffer) => {
    if (!record.owned.has(buffer)) return `x${objectId(buffer)}`;
    let n = numbers.get(buffer);
    if (n === undefined) {
      n = numbers.size;
      numbers.set(buffer, n);
      const bytes = inputs.has(buffer) ? 'input' : (record.written.get(buffer)?.join(',') ?? '');
      return `o${n}:${buffer.size}:${bytes}`;
    }
    return `o${n}`;
  };
  return record.commands
    .map((command) => {
      if (command.kind === 'pipeline') return `p${objectId(command.pipeline)}`;
      if (command.kind === 'dispatch') return `d${command.x},${command.y},${command.z}`;
      return `b${command.index}[${(record.bound.get(command.bindGroup) ?? []).map(name).join(' ')}]`;
    })
    .join('\n');
}

/** The commands less each setPipeline of the pipeline already set (a pass keeps its bind groups across them). */
function withoutRepeatedPipelines(commands: readonly PassCommand[]): PassCommand[] {
  let current: GPUComputePipeline | undefined;
  return commands.filter((command) => {
    if (command.kind !== 'pipeline') return true;
    const repeated = command.pipeline === current;
    current = command.pipeline;
    return !repeated;
  });
}

let recording: Recording | undefined;
/** While the recording copies its GPU inputs into its own buffers (the work's copies refuse it). */
let copyingInputs = false;
/** The live recordings' own buffers, and the buffers each reads without owning them. */
const owners = new Map<GPUBuffer, CapturedWork>();
const readers = new Map<GPUBuffer, Set<CapturedWork>>();
let originalRelease: BufferManager['releaseBuffer'] | undefined;
const hookedBackends = new WeakSet<object>();

function refuse(why: string): void {
  if (recording !== undefined) recording.refused ??= why;
}

function installHooks(backend: BackendInternals): void {
  if (hookedBackends.has(backend)) return;
  hookedBackends.add(backend);
  const manager = backend.bufferManager;
  const acquire = manager.acquireBuffer.bind(manager);
  const release = manager.releaseBuffer.bind(manager);
  originalRelease = release;
  manager.acquireBuffer = (size, usage, mappedAtCreation = false, reuse = true) => {
    if (recording === undefined) return acquire(size, usage, mappedAtCreation, reuse);
    if (mappedAtCreation) refuse('it uploads data from the CPU (a JS number or a CPU tensor made inside the step)');
    const buffer = acquire(size, usage, mappedAtCreation, false);
    recording.owned.add(buffer);
    // tfjs makes a size's free list only when it reuses: a refused recording gives its buffers back
    const key = `${size}_${usage}`;
    if (!manager.freeBuffers.has(key)) manager.freeBuffers.set(key, []);
    return buffer;
  };
  manager.releaseBuffer = (buffer, reuse = true) => {
    if (recording?.owned.has(buffer)) {
      recording.freed.add(buffer);
      return;
    }
    if (owners.has(buffer)) return;
    const reading = readers.get(buffer);
    if (reading !== undefined) {
      for (const work of reading) work.invalidate('a tensor it reads was freed or given a new buffer');
      readers.delete(buffer);
    }
    release(buffer, reuse);
  };
}

/** Listens to tfjs's calls into Dawn for the recording; returns what stops listening. */
function listenWhileRecording(device: GPUDevice): () => void {
  const prototypes = dawnPrototypes(device);
  return listenAll([
    [
      device,
      'createBindGroup',
      (bindGroup, [descriptor]) => {
        if (recording === undefined) return;
        const buffers = [...(descriptor as GPUBindGroupDescriptor).entries].map((entry) => (entry.resource as GPUBufferBinding).buffer);
        if (buffers.some((buffer) => buffer === undefined)) refuse('it binds something other than buffers');
        recording.bound.set(bindGroup as GPUBindGroup, buffers);
      },
    ],
    [prototypes.pass, 'setPipeline', (_, [pipeline]) => recording?.commands.push({ kind: 'pipeline', pipeline: pipeline as GPUComputePipeline })],
    [
      prototypes.pass,
      'setBindGroup',
      (_, [index, bindGroup, offsets]) => {
        if (recording === undefined) return;
        if (offsets !== undefined && (offsets as ArrayLike<number>).length > 0) refuse('it binds with dynamic offsets');
        recording.commands.push({ kind: 'bindGroup', index: index as number, bindGroup: bindGroup as GPUBindGroup });
      },
    ],
    [
      prototypes.pass,
      'dispatchWorkgroups',
      (_, [x, y = 1, z = 1]) => recording?.commands.push({ kind: 'dispatch', x: x as number, y: y as number, z: z as number }),
    ],
    [
      prototypes.encoder,
      'copyBufferToBuffer',
      () => {
        if (!copyingInputs) refuse('it copies between buffers');
      },
    ],
    [prototypes.buffer, 'mapAsync', () => refuse('it reads back to the CPU')],
    [
      device.queue,
      'writeBuffer',
      (_, [buffer, , data, dataOffset, size]) => {
        if (recording === undefined) return;
        if (!recording.owned.has(buffer as GPUBuffer)) refuse('it writes a buffer made before the recording');
        else recording.written.set(buffer as GPUBuffer, bytesOf(data as ArrayBuffer | ArrayBufferView, dataOffset as number | undefined, size as number | undefined));
      },
    ],
  ]);
}

/** Submits what tfjs has recorded so far. */
function flush(backend: BackendInternals): void {
  if (backend.commandEncoder === null) return;
  backend.endComputePassEncoder();
  backend.submitQueue();
}

/** The GPU buffer of a tensor, uploaded first if its data is still on the CPU. */
function gpuBufferOf(backend: BackendInternals, tensor: tf.Tensor): GPUBuffer {
  if (tensor.dtype !== 'float32') throw new RangeError(`a GPU input must be float32, got ${tensor.dtype}`);
  backend.uploadToGPU(tensor.dataId);
  return backend.tensorMap.get(tensor.dataId).resource!;
}

function webgpuInternals(): BackendInternals {
  if (tf.getBackend() !== 'webgpu') throw new Error(`a captured run needs the webgpu backend, not ${tf.getBackend()}`);
  return tf.backend() as unknown as BackendInternals;
}

/** A recorded piece of webgpu work, replayed with new inputs; its outputs are tensors it keeps. */
export class CapturedWork {
  private voided: string | undefined;

  /** @internal made by {@link captureWork} */
  constructor(
    private readonly backend: BackendInternals,
    private readonly inputBuffers: GPUBuffer[],
    private readonly inputSizes: number[],
    private readonly commands: PassCommand[],
    private readonly owned: Set<GPUBuffer>,
    private readonly read: Set<GPUBuffer>,
    /** The outputs of every run: read them, do not dispose them. */
    readonly outputs: tf.Tensor[],
    /** What the recording does (see traceOf); equal for two recordings of the same work. */
    readonly trace: string,
  ) {}

  /** Dispatches a run encodes. */
  get dispatches(): number {
    return this.commands.filter((command) => command.kind === 'dispatch').length;
  }

  /** Why the recording no longer holds, or undefined while it does. */
  get invalid(): string | undefined {
    return this.voided;
  }

  /** @internal */
  invalidate(why: string): void {
    this.voided ??= why;
  }

  /**
   * Runs the work again on new inputs: writes them, encodes the recorded dispatches in one pass
   * and submits them.
   * @param values - the inputs' values, in the recorded order and sizes.
   * @param extra - more work encoded with the recorded dispatches, in the same pass and submit
   *   (work of the outputs that needs no tfjs op: an in-place update, say).
   * @returns the outputs (the same tensors every run, holding this run's values).
   * @throws {Error} when the recording is void, {@link invalid} says why.
   * @throws {RangeError} when an input's size differs from the recorded one.
   */
  replay(inputs: readonly ReplayInput[], extra?: PassWork): tf.Tensor[] {
    if (this.voided !== undefined) throw new Error(`the captured work cannot run again: ${this.voided}`);
    if (tf.backend() !== (this.backend as unknown)) throw new Error('the captured work runs on the webgpu backend it was recorded on');
    if (inputs.length !== this.inputBuffers.length) throw new RangeError(`${this.inputBuffers.length} inputs were recorded, got ${inputs.length}`);
    for (const [i, input] of inputs.entries()) {
      const size = input instanceof Float32Array ? input.length : input.size;
      if (size !== this.inputSizes[i]) throw new RangeError(`input ${i} was recorded with ${this.inputSizes[i]} values, got ${size}`);
    }
    const { device, queue } = this.backend;
    // work tfjs recorded earlier goes first
    flush(this.backend);
    const encoder = device.createCommandEncoder();
    for (const [i, input] of inputs.entries()) {
      const target = this.inputBuffers[i]!;
      if (input instanceof Float32Array) queue.writeBuffer(target, 0, input.buffer, input.byteOffset, input.byteLength);
      else encoder.copyBufferToBuffer(gpuBufferOf(this.backend, input), 0, target, 0, input.size * 4);
    }
    const pass = encoder.beginComputePass();
    for (const command of this.commands) {
      if (command.kind === 'pipeline') pass.setPipeline(command.pipeline);
      else if (command.kind === 'bindGroup') pass.setBindGroup(command.index, command.bindGroup);
      else pass.dispatchWorkgroups(command.x, command.y, command.z);
    }
    extra?.dispatch(pass);
    pass.end();
    extra?.after?.(encoder);
    queue.submit([encoder.finish()]);
    // a copy tfjs kept on the CPU from an earlier read is stale now
    for (const output of this.outputs) this.backend.tensorMap.get(output.dataId).values = null;
    return this.outputs;
  }

  /** Frees the outputs and every buffer the recording made (after submitting what tfjs has recorded). */
  dispose(): void {
    this.invalidate('it was disposed');
    // work tfjs has recorded may read these buffers: submitted before they are destroyed
    flush(this.backend);
    tf.dispose(this.outputs);
    for (const buffer of this.owned) {
      owners.delete(buffer);
      originalRelease?.(buffer, false);
    }
    for (const buffer of this.read) {
      const reading = readers.get(buffer);
      reading?.delete(this);
      if (reading?.size === 0) readers.delete(buffer);
    }
  }
}

/**
 * Runs `work` once on the webgpu backend while recording its dispatches, so that later runs can
 * replay them. The run itself is a real one: its outputs hold its results either way.
 * @param inputs - the work's inputs (made here as tensors of buffers the recording owns).
 * @param work - tfjs work of the inputs, returning the tensors a run produces (no reading back).
 * @returns the outputs, and the recording or why it was refused (then the outputs are the
 *   caller's to dispose).
 * @throws {Error} when the backend is not webgpu.
 */
export function captureWork(
  inputs: readonly WorkInput[],
  work: (inputs: tf.Tensor[]) => tf.Tensor[],
): { outputs: tf.Tensor[]; captured: CapturedWork; refused?: undefined } | { outputs: tf.Tensor[]; captured?: undefined; refused: string } {
  const backend = webgpuInternals();
  installHooks(backend);
  flush(backend);
  const cpuForward = tf.env().getBool('WEBGPU_CPU_FORWARD');
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  const record: Recording = { owned: new Set(), freed: new Set(), bound: new Map(), written: new Map(), commands: [], refused: undefined };
  const stopListening = listenWhileRecording(backend.device);
  recording = record;
  let outputs: tf.Tensor[];
  let inputBuffers: GPUBuffer[];
  try {
    const tensors = inputs.map((input) =>
      'tensor' in input ? deviceTensor(new Float32Array(input.tensor.size), input.tensor.shape) : deviceTensor(input.values, input.shape),
    );
    inputBuffers = tensors.map((tensor) => backend.tensorMap.get(tensor.dataId).resource!);
    copyingInputs = true;
    try {
      for (const [i, input] of inputs.entries()) {
        if (!('tensor' in input)) continue;
        const source = gpuBufferOf(backend, input.tensor);
        backend.ensureCommandEncoderReady();
        backend.endComputePassEncoder();
        backend.commandEncoder!.copyBufferToBuffer(source, 0, inputBuffers[i]!, 0, input.tensor.size * 4);
      }
    } finally {
      copyingInputs = false;
    }
    outputs = tf.tidy(() => work(tensors));
    tf.dispose(tensors);
    flush(backend);
  } finally {
    recording = undefined;
    stopListening();
    tf.env().set('WEBGPU_CPU_FORWARD', cpuForward);
  }
  const giveBack = () => {
    for (const buffer of record.freed) originalRelease?.(buffer, true);
  };
  if (record.refused !== undefined) {
    giveBack();
    return { outputs, refused: record.refused };
  }
  const read = new Set<GPUBuffer>();
  for (const command of record.commands) {
    if (command.kind !== 'bindGroup') continue;
    const buffers = record.bound.get(command.bindGroup);
    if (buffers === undefined) {
      giveBack();
      return { outputs, refused: 'it binds a bind group made before the recording' };
    }
    for (const buffer of buffers) if (!record.owned.has(buffer)) read.add(buffer);
  }
  const captured = new CapturedWork(
    backend,
    inputBuffers,
    inputs.map((input) => ('tensor' in input ? input.tensor.size : input.values.length)),
    withoutRepeatedPipelines(record.commands),
    record.owned,
    read,
    outputs,
    traceOf(record, new Set(inputBuffers)),
  );
  for (const buffer of record.owned) owners.set(buffer, captured);
  for (const buffer of read) {
    let reading = readers.get(buffer);
    if (reading === undefined) {
      reading = new Set();
      readers.set(buffer, reading);
    }
    reading.add(captured);
  }
  return { outputs, captured };
}
