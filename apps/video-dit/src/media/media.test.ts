import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateClip, videoDataConfig } from '../data/index.js';
import { writeContactSheet, writeGif, writeLineChart } from './index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'video-dit-media-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const config = videoDataConfig({ frames: 5, seed: 11 });
const shape: [number, number, number] = [config.frames, config.height, config.width];
const clips = [0, 1, 2].map((i) => generateClip(config, i).pixels);

/** Walks a GIF's blocks: its logical size and the number of images in it. */
function gifInfo(bytes: Uint8Array): { header: string; width: number; height: number; images: number } {
  const header = Buffer.from(bytes.subarray(0, 6)).toString('latin1');
  const width = (bytes[6] as number) | ((bytes[7] as number) << 8);
  const height = (bytes[8] as number) | ((bytes[9] as number) << 8);
  const tableSize = (flags: number): number => (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0);
  let p = 13 + tableSize(bytes[10] as number);
  const skipSubBlocks = (): void => {
    while ((bytes[p] as number) !== 0) p += (bytes[p] as number) + 1;
    p++;
  };
  let images = 0;
  for (;;) {
    const block = bytes[p];
    if (block === 0x3b) break;
    if (block === 0x21) {
      p += 2;
      skipSubBlocks();
    } else if (block === 0x2c) {
      images++;
      p += 10 + tableSize(bytes[p + 9] as number) + 1;
      skipSubBlocks();
    } else {
      throw new Error(`unexpected GIF block 0x${String(block?.toString(16))} at ${p}`);
    }
  }
  return { header, width, height, images };
}

describe('writeGif', () => {
  test('writes one upscaled image per frame', async () => {
    const path = join(dir, 'clip.gif');
    await writeGif(path, clips[0] as Float32Array, shape, { scale: 8, delayMs: 100 });
    expect(gifInfo(await readFile(path))).toEqual({ header: 'GIF89a', width: 128, height: 128, images: 5 });
  });

  test('leaves no temporary file behind', async () => {
    const path = join(dir, 'nested', 'again.gif');
    await writeGif(path, clips[1] as Float32Array, shape);
    expect(await readdir(join(dir, 'nested'))).toEqual(['again.gif']);
  });

  test('rejects a shape that does not match the data', async () => {
    await expect(writeGif(join(dir, 'bad.gif'), clips[0] as Float32Array, [4, 16, 16])).rejects.toThrow(
      /frames has 3840 values; shape \[4,16,16\] with 3 channels needs 3072/,
    );
    await expect(writeGif(join(dir, 'bad.gif'), clips[0] as Float32Array, shape, { scale: 0 })).rejects.toThrow(
      /scale must be an integer in \[1, 64\], got 0/,
    );
  });
});

describe('writeContactSheet', () => {
  test('lays out rows = clips and columns = frames, pixel for pixel', async () => {
    const path = join(dir, 'sheet.png');
    await writeContactSheet(path, clips, shape, { scale: 2 });
    const png = PNG.sync.read(await readFile(path));
    // 2-pixel gaps around 32-pixel cells.
    expect([png.width, png.height]).toEqual([2 + 5 * 34, 2 + 3 * 34]);
    const { objects, pixels } = generateClip(config, 2);
    const [x, y] = objects[0]?.positions[3] ?? [0, 0];
    const column = Math.floor(x);
    const row = Math.floor(y);
    const o = (((2 + 2 * 34 + 2 * row) * png.width + 2 + 3 * 34 + 2 * column) * 4) as number;
    const s = ((3 * 16 + row) * 16 + column) * 3;
    for (let c = 0; c < 3; c++) {
      expect(png.data[o + c]).toBe(Math.round(((pixels[s + c] as number) + 1) * 127.5));
    }
  });

  test('adds a label column and leaves the frames pixel for pixel', async () => {
    const plain = join(dir, 'plain.png');
    const labelled = join(dir, 'labelled.png');
    await writeContactSheet(plain, clips, shape, { scale: 2 });
    await writeContactSheet(labelled, clips, shape, { scale: 2, labels: ['real', 'untrained', 'trained'] });
    const a = PNG.sync.read(await readFile(plain));
    const b = PNG.sync.read(await readFile(labelled));
    const labelWidth = b.width - a.width;
    expect(labelWidth).toBeGreaterThan(20);
    expect(b.height).toBe(a.height);
    let differences = 0;
    for (let y = 0; y < a.height; y++) {
      for (let x = 0; x < a.width * 4; x++) {
        if (a.data[y * a.width * 4 + x] !== b.data[(y * b.width + labelWidth) * 4 + x]) differences++;
      }
    }
    expect(differences).toBe(0);
  });

  test('rejects labels that do not match the clips', async () => {
    await expect(writeContactSheet(join(dir, 'x.png'), clips, shape, { labels: ['one'] })).rejects.toThrow(
      /labels has 1 entries; there are 3 clips/,
    );
  });
});

describe('writeLineChart', () => {
  test('writes a PNG with the lines drawn', async () => {
    const path = join(dir, 'loss.png');
    const points = (scale: number): [number, number][] =>
      Array.from({ length: 50 }, (_, i) => [i, scale / (i + 1) + 0.05]);
    await writeLineChart(path, {
      title: 'loss',
      x: 'step',
      y: 'loss',
      logY: true,
      series: [
        { name: 'train', points: points(1) },
        { name: 'validation', points: points(2) },
      ],
    });
    const png = PNG.sync.read(await readFile(path));
    expect(png.width).toBeGreaterThan(600);
    // The first series is drawn in Vega's blue (#4c78a8).
    let blue = 0;
    for (let o = 0; o < png.data.length; o += 4) {
      if (png.data[o] === 0x4c && png.data[o + 1] === 0x78 && png.data[o + 2] === 0xa8) blue++;
    }
    expect(blue).toBeGreaterThan(100);
  });

  test('rejects values a log axis cannot show', async () => {
    await expect(
      writeLineChart(join(dir, 'bad.png'), {
        title: 'loss',
        x: 'step',
        y: 'loss',
        logY: true,
        series: [{ name: 'train', points: [[0, 0]] }],
      }),
    ).rejects.toThrow(/series 'train' has the point \(0, 0\); points must be finite with y > 0 on a log axis/);
  });
});
