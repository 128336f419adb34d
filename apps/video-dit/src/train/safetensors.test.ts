import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

const tensors = [
  { name: 'params/block0.qkv.w', shape: [3, 4], values: Float32Array.from({ length: 12 }, (_, i) => i / 7 - 0.5) },
  { name: 'ema/final.out.b', shape: [5], values: Float32Array.of(1e-30, -2, 3.5, Number.MAX_VALUE > 0 ? 3.4e38 : 0, 0) },
  { name: 'adam.v/scalar', shape: [], values: Float32Array.of(42) },
];

/** Whether Debian's python3 with numpy is there to read the files as another tool would. */
const hasNumpy = (() => {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('safetensors', () => {
  test('a file reads back as written: names, shapes, values and metadata; its header is 8-byte aligned', () => {
    const file = encodeSafetensors(tensors, { format: 'test', step: '7' });
    const headerLength = Number(new DataView(file.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const { tensors: read, metadata } = decodeSafetensors(file);
    expect(metadata).toEqual({ format: 'test', step: '7' });
    expect([...read.keys()]).toEqual(tensors.map((t) => t.name));
    for (const { name, shape, values } of tensors) {
      expect(read.get(name)!.shape).toEqual(shape);
      expect(Array.from(read.get(name)!.values)).toEqual(Array.from(values));
    }
  });

  test('a damaged file is refused, saying what is wrong', () => {
    const file = encodeSafetensors(tensors);
    expect(() => decodeSafetensors(file.subarray(0, 4))).toThrow('8-byte header length');
    expect(() => decodeSafetensors(file.subarray(0, 20))).toThrow(/runs past the file/);
    expect(() => decodeSafetensors(file.subarray(0, file.byteLength - 4))).toThrow(/offsets .* do not fit/);
    expect(() => encodeSafetensors([tensors[0]!, tensors[0]!])).toThrow(/repeats/);
  });

  test.runIf(hasNumpy)('numpy reads the file with a reader written from the format alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowdit-safetensors-'));
    try {
      const path = join(dir, 'tensors.safetensors');
      await writeFile(path, encodeSafetensors(tensors, { step: '7' }));
      // the format: u64 LE header length, the JSON header, then the data its offsets point into
      const reader = [
        'import json, struct, sys, numpy',
        'raw = open(sys.argv[1], "rb").read()',
        '(n,) = struct.unpack("<Q", raw[:8])',
        'header = json.loads(raw[8:8 + n])',
        'data = raw[8 + n:]',
        'out = {"__metadata__": header.pop("__metadata__", {})}',
        'for name, t in header.items():',
        '    assert t["dtype"] == "F32"',
        '    begin, end = t["data_offsets"]',
        '    out[name] = {"shape": t["shape"], "values": numpy.frombuffer(data[begin:end], dtype="<f4").reshape(t["shape"]).ravel().tolist()}',
        'print(json.dumps(out))',
      ].join('\n');
      const read = JSON.parse(execFileSync('python3', ['-c', reader, path], { encoding: 'utf8' }));
      expect(read.__metadata__).toEqual({ step: '7' });
      for (const { name, shape, values } of tensors) expect(read[name]).toEqual({ shape, values: Array.from(values) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
