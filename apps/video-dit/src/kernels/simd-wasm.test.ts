import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { SIMD_WASM_BASE64, SIMD_WASM_SHARED_BASE64 } from './simd-wasm.generated.js';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'build-simd-wasm.mjs');

test('the embedded SIMD module is what assembly/ compiles to', () => {
  expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
});

type Exports = Record<string, (...args: number[]) => number>;
interface Memory {
  buffer: ArrayBufferLike;
}
// TypeScript declares the WebAssembly API only in the DOM library, which the app leaves out.
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => Memory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
};

/** The module on a memory of its own, as it runs on tfjs's heap. */
function instantiate(base64: string, memory: Memory): Exports {
  const module = new WebAssembly.Module(Buffer.from(base64, 'base64'));
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Exports;
}

/**
 * Lays out tensors of the given sizes one after another from byte 64, with gaps of 4 bytes, so that
 * every tensor but the first starts off a 16-byte boundary, as tfjs's allocations may.
 */
function layout(sizes: readonly number[]): number[] {
  const at: number[] = [];
  let next = 64;
  for (const size of sizes) {
    at.push(next);
    next += size * 4 + 4;
  }
  return at;
}

// The kernels read and write tfjs's tensors where they lie: each runs here on tensors whose sizes
// are not multiples of four, in a memory filled with a pattern, and must change nothing but its
// outputs and its scratch.
describe.each([
  ['plain', SIMD_WASM_BASE64, false],
  ['shared', SIMD_WASM_SHARED_BASE64, true],
] as const)('the %s-memory module', (_, base64, shared) => {
  const cases: { name: string; inputs: number[]; outputs: number[]; scratch?: (m: Exports) => number; run: (m: Exports, at: number[], scratch: number) => void }[] = [
    { name: 'geluForward', inputs: [13], outputs: [13], run: (m, [x, y]) => m.geluForward!(x!, y!, 13) },
    { name: 'geluBackward', inputs: [13, 13], outputs: [13], run: (m, [x, dy, dx]) => m.geluBackward!(x!, dy!, dx!, 13) },
    {
      name: 'adamwUpdate',
      inputs: [7, 7, 7, 7, 7],
      outputs: [7, 7, 7, 7],
      scratch: () => 64,
      run: (m, at, scratch) => m.adamwUpdate!(...at, scratch, 7, 1, 0.9, 0.1, 0.999, 0.001, 0.1, 0.001, 1e-8, 0.01, 1e-3, 0.99, 0.01),
    },
    { name: 'columnSum', inputs: [5 * 11], outputs: [11], run: (m, [x, out]) => m.columnSum!(x!, out!, 5, 11) },
    { name: 'adaLayerNormForward', inputs: [2 * 3 * 7, 2 * 7, 2 * 7], outputs: [2 * 3 * 7], run: (m, at) => m.adaLayerNormForward!(...at, 2, 3, 7, 1e-6) },
    { name: 'adaLayerNormBackward', inputs: [2 * 3 * 7, 2 * 7, 2 * 3 * 7], outputs: [2 * 3 * 7, 2 * 7, 2 * 7], run: (m, at) => m.adaLayerNormBackward!(...at, 2, 3, 7, 1e-6) },
    { name: 'gatedResidualForward', inputs: [2 * 3 * 7, 2 * 7, 2 * 3 * 7], outputs: [2 * 3 * 7], run: (m, at) => m.gatedResidualForward!(...at, 2, 3, 7) },
    { name: 'gatedResidualBackward', inputs: [2 * 7, 2 * 3 * 7, 2 * 3 * 7], outputs: [2 * 7, 2 * 3 * 7], run: (m, at) => m.gatedResidualBackward!(...at, 2, 3, 7) },
    ...([false, true] as const).flatMap((transposeA) =>
      ([false, true] as const).map((transposeB) => ({
        name: `matmul 6×5·9 (transposeA ${transposeA}, transposeB ${transposeB})`,
        inputs: [30, 45],
        outputs: [54],
        scratch: (m: Exports) => m.matmulScratchBytes!(6, 5, 9, Number(transposeA)),
        run: (m: Exports, [a, b, c]: number[], scratch: number) => m.matmul!(a!, b!, c!, scratch, 6, 5, 9, Number(transposeA), Number(transposeB), 0),
      })),
    ),
    {
      name: 'matmul 6×5·9 + bias',
      inputs: [30, 45, 9],
      outputs: [54],
      scratch: (m: Exports) => m.matmulScratchBytes!(6, 5, 9, 0),
      run: (m: Exports, [a, b, bias, c]: number[], scratch: number) => m.matmul!(a!, b!, c!, scratch, 6, 5, 9, 0, 0, bias!),
    },
    {
      name: 'attentionForward',
      inputs: [2 * 5 * 3 * 6, 2 * 5 * 3 * 6, 2 * 5 * 3 * 6],
      outputs: [2 * 5 * 3 * 6],
      scratch: (m) => m.attentionScratchBytes!(5, 6),
      run: (m, at, scratch) => m.attentionForward!(...at, scratch, 2, 5, 3, 6, 0.4),
    },
    {
      name: 'attentionBackward',
      inputs: Array(5).fill(2 * 5 * 3 * 6),
      outputs: Array(3).fill(2 * 5 * 3 * 6),
      scratch: (m) => m.attentionScratchBytes!(5, 6),
      run: (m, at, scratch) => m.attentionBackward!(...at, scratch, 2, 5, 3, 6, 0.4),
    },
  ];

  test.each(cases)('$name writes its outputs and scratch only', ({ inputs, outputs, scratch, run }) => {
    const memory = shared ? new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true }) : new WebAssembly.Memory({ initial: 1 });
    const module = instantiate(base64, memory);
    const at = layout([...inputs, ...outputs]);
    const end = at.at(-1)! + outputs.at(-1)! * 4 + 4;
    const scratchAt = Math.ceil(end / 16) * 16 + 16;
    const scratchBytes = scratch?.(module) ?? 0;
    const floats = new Float32Array(memory.buffer);
    // the inputs small non-negative values (AdamW's v is a square), everything else a pattern of its own
    for (let i = 0; i < floats.length; i++) floats[i] = 1e30 + i;
    inputs.forEach((size, t) => {
      for (let i = 0; i < size; i++) floats[at[t]! / 4 + i] = Math.abs(Math.sin(t * 7 + i * 0.37));
    });
    const before = Float32Array.from(floats);
    run(module, at, scratchAt);
    const written = (byte: number) =>
      outputs.some((size, t) => byte >= at[inputs.length + t]! && byte < at[inputs.length + t]! + size * 4) || (byte >= scratchAt && byte < scratchAt + scratchBytes);
    const changedElsewhere: number[] = [];
    for (let i = 0; i < floats.length; i++) if (!written(4 * i) && !Object.is(floats[i], before[i])) changedElsewhere.push(4 * i);
    expect(changedElsewhere).toEqual([]);
    // and the outputs were written, with finite numbers
    outputs.forEach((size, t) => {
      for (let i = 0; i < size; i++) expect(Number.isFinite(floats[at[inputs.length + t]! / 4 + i]!)).toBe(true);
    });
  });
});
