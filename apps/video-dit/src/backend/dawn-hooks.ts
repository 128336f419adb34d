/*
 * Hooks on the webgpu package's objects, which the work counters and the step capture use to see
 * every call tfjs makes into Dawn. tfjs keeps a compute pass and a command encoder open across
 * kernels, and reads back through pooled buffers made long before: hooks go on their classes.
 * A method is wrapped only while someone listens to it, so that the calls of a replayed step (a
 * few hundred into Dawn) and of ops outside a recording or a count go straight to Dawn.
 */

/** Called after each call of a listened method, with its result, its arguments and its `this`. */
export type CallListener = (result: unknown, args: unknown[], self: unknown) => void;

interface Listened {
  original: (...args: unknown[]) => unknown;
  /** Whether the object had the method as its own property (else it came from a prototype). */
  hadOwn: boolean;
  listeners: Set<CallListener>;
}

const listened = new WeakMap<object, Map<PropertyKey, Listened>>();

/**
 * Calls `listener` after every call of `object[name]`, until the returned function is called.
 * Listeners of the same method share one wrapper; the last to stop puts the method back.
 * @param object - an object or a class's prototype.
 * @param name - the method.
 * @param listener - called after each call, with its result and arguments.
 * @returns stops listening.
 */
export function listen<T extends object>(object: T, name: keyof T & string, listener: CallListener): () => void {
  let byName = listened.get(object);
  if (byName === undefined) {
    byName = new Map();
    listened.set(object, byName);
  }
  let entry = byName.get(name);
  if (entry === undefined) {
    const original = object[name] as unknown as (...args: unknown[]) => unknown;
    const listeners = new Set<CallListener>();
    entry = { original, hadOwn: Object.hasOwn(object, name), listeners };
    byName.set(name, entry);
    Object.defineProperty(object, name, {
      configurable: true,
      writable: true,
      value: function (this: unknown, ...args: unknown[]) {
        const result = original.apply(this, args);
        for (const call of listeners) call(result, args, this);
        return result;
      },
    });
  }
  const listening = entry;
  listening.listeners.add(listener);
  return () => {
    if (!listening.listeners.delete(listener) || listening.listeners.size > 0) return;
    byName.delete(name);
    if (listening.hadOwn) Object.defineProperty(object, name, { configurable: true, writable: true, value: listening.original });
    else delete object[name];
  };
}

/**
 * Listens to several methods at once.
 * @param hooks - each an object, a method and its listener.
 * @returns stops every one of them.
 */
export function listenAll(hooks: readonly [object, string, CallListener][]): () => void {
  const stops = hooks.map(([object, name, listener]) => listen(object, name as never, listener));
  return () => {
    for (const stop of stops) stop();
  };
}

const prototypesByDevice = new WeakMap<GPUDevice, { encoder: GPUCommandEncoder; pass: GPUComputePassEncoder; buffer: GPUBuffer }>();

/** The prototypes of the device's command encoders, compute passes and buffers. */
export function dawnPrototypes(device: GPUDevice): { encoder: GPUCommandEncoder; pass: GPUComputePassEncoder; buffer: GPUBuffer } {
  let prototypes = prototypesByDevice.get(device);
  if (prototypes !== undefined) return prototypes;
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.end();
  const buffer = device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  prototypes = { encoder: Object.getPrototypeOf(encoder), pass: Object.getPrototypeOf(pass), buffer: Object.getPrototypeOf(buffer) };
  buffer.destroy();
  prototypesByDevice.set(device, prototypes);
  return prototypes;
}
