export { type LineChartSpec, renderVegaLite, writeLineChart, writeVegaLitePng } from './chart.js';
export { type GifOptions, encodeGif, writeGif } from './gif.js';
export { type ClipShape, checkClip, defaultScale } from './pixels.js';
export { type ContactSheetOptions, encodeContactSheet, encodePng, writeContactSheet } from './png.js';
export { writeFileAtomic } from './write-file.js';
export { type TimestepCurve, type TimestepDensityArgs, writeTimestepDensity } from './timestep-density.js';
