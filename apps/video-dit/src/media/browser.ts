// The part of this stage a web page can bundle (apps/playground): no Node module behind it.
export { toByte } from './pixels.js';
