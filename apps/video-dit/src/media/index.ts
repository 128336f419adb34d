export { writeLineChart, writeVegaLitePng } from './chart.js';
export { writeGif } from './gif.js';
export { type ClipShape, checkClip } from './pixels.js';
export { writeContactSheet } from './png.js';
export { writeTimestepDensity } from './timestep-density.js';
