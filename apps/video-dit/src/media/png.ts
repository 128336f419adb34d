import { PNG } from 'pngjs';
import { blitFrame, type ClipShape, checkClip, checkScale, defaultScale } from './pixels.js';
import { escapeXml, FONT_FAMILY, svgToPng } from './svg.js';
import { writeFileAtomic } from './write-file.js';

/** Options of {@link writeContactSheet}. */
export interface ContactSheetOptions {
  /** Nearest-neighbour upscaling factor per frame; default: about 64 pixels per frame. */
  scale?: number;
  /** One label per clip, drawn left of its row. */
  labels?: string[];
}

/**
 * Encodes RGBA bytes as a PNG file.
 * @param rgba - width·height·4 bytes, row-major
 * @param width - image width
 * @param height - image height
 * @returns the PNG file's bytes
 */
export function encodePng(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return PNG.sync.write(png);
}

const GAP = 2;
const SHEET_GREY = 224;

/**
 * Lays clips out as a grid, rows = clips and columns = frames, on a light grey sheet.
 * @param clips - each [T, H, W, 3] in [-1, 1]
 * @param shape - [T, H, W], the same for every clip
 * @param options - scale and labels
 * @returns the PNG file's bytes
 * @throws {RangeError} when there is no clip, a clip's length does not match, or the labels do not match the clips
 */
export function encodeContactSheet(
  clips: Float32Array[],
  shape: ClipShape,
  options: ContactSheetOptions = {},
): Uint8Array {
  if (clips.length === 0) throw new RangeError('clips must hold at least one clip');
  clips.forEach((clip, k) => {
    checkClip(`clips[${k}]`, clip, shape);
  });
  const scale = options.scale ?? defaultScale(shape, 64);
  checkScale(scale);
  const { labels } = options;
  if (labels !== undefined && labels.length !== clips.length) {
    throw new RangeError(`labels has ${labels.length} entries; there are ${clips.length} clips`);
  }
  const [T, H, W] = shape;
  const cellWidth = W * scale;
  const cellHeight = H * scale;
  const width = GAP + T * (cellWidth + GAP);
  const height = GAP + clips.length * (cellHeight + GAP);
  const rgba = new Uint8Array(width * height * 4).fill(SHEET_GREY);
  for (let o = 3; o < rgba.length; o += 4) rgba[o] = 255;
  clips.forEach((clip, row) => {
    for (let t = 0; t < T; t++) {
      blitFrame(rgba, width, GAP + t * (cellWidth + GAP), GAP + row * (cellHeight + GAP), clip, shape, t, scale);
    }
  });
  const sheet = encodePng(rgba, width, height);
  if (labels === undefined) return sheet;

  // Labels need text, so the sheet goes into an SVG beside them; 1:1 so no pixel is resampled.
  const fontSize = Math.max(10, Math.min(16, Math.round(cellHeight / 3)));
  const labelWidth = Math.ceil(Math.max(...labels.map((l) => l.length)) * fontSize * 0.62) + 12;
  const texts = labels.map(
    (label, row) =>
      `<text x="${labelWidth - 6}" y="${GAP + row * (cellHeight + GAP) + cellHeight / 2}" text-anchor="end" dominant-baseline="central">${escapeXml(label)}</text>`,
  );
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${labelWidth + width}" height="${height}">`,
    `<rect width="100%" height="100%" fill="rgb(${SHEET_GREY},${SHEET_GREY},${SHEET_GREY})"/>`,
    `<image x="${labelWidth}" y="0" width="${width}" height="${height}" image-rendering="optimizeSpeed" xlink:href="data:image/png;base64,${Buffer.from(sheet).toString('base64')}"/>`,
    `<g font-family="${FONT_FAMILY}" font-size="${fontSize}" fill="#222">${texts.join('')}</g>`,
    '</svg>',
  ].join('');
  return svgToPng(svg);
}

/**
 * Writes a contact sheet PNG: rows = clips, columns = frames, optional labels on the left
 * (temporary file, then rename).
 * @param path - where to write (folders are created)
 * @param clips - each [T, H, W, 3] in [-1, 1]
 * @param shape - [T, H, W], the same for every clip
 * @param options - scale and labels
 * @returns when the file is in place
 * @throws {RangeError} when there is no clip, a clip's length does not match, or the labels do not match the clips
 */
export async function writeContactSheet(
  path: string,
  clips: Float32Array[],
  shape: ClipShape,
  options: ContactSheetOptions = {},
): Promise<void> {
  await writeFileAtomic(path, encodeContactSheet(clips, shape, options));
}
