/*
 * Hooks on the webgpu package's objects, which the work counters and the step capture use to see
 * every call tfjs makes into Dawn. tfjs keeps a compute pass and a command encoder open across
 * kernels, and reads back through pooled buffers made long before: hooks go on their classes.
 */

/**
 * Replaces `object[name]` by a function that calls `before` with the arguments, then the original.
 * @param object - an object or a class's prototype.
 * @param name - the method.
 * @param before - called first, with the call's arguments.
 */
export function tap<T extends object, K extends keyof T>(object: T, name: K, before: (...args: never[]) => void): void {
  const original = object[name] as unknown as (...args: unknown[]) => unknown;
  Object.defineProperty(object, name, {
    configurable: true,
    writable: true,
    value: function (this: unknown, ...args: unknown[]) {
      (before as (...args: unknown[]) => void)(...args);
      return original.apply(this, args);
    },
  });
}

/** The prototypes of the device's command encoders, compute passes and buffers. */
export function dawnPrototypes(device: GPUDevice): { encoder: GPUCommandEncoder; pass: GPUComputePassEncoder; buffer: GPUBuffer } {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.end();
  const buffer = device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const prototypes = { encoder: Object.getPrototypeOf(encoder), pass: Object.getPrototypeOf(pass), buffer: Object.getPrototypeOf(buffer) };
  buffer.destroy();
  return prototypes;
}
