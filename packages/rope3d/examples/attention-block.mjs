// A video self-attention block with 3D RoPE on q and k, trained one step, saved and loaded back.
// Run from packages/rope3d after `pnpm build`: node examples/attention-block.mjs
import '@tensorflow/tfjs-backend-cpu';
import { Rope3D } from '@flowdit/rope3d/layer'; // registers flowdit.Rope3D: import before loadLayersModel
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

await tf.setBackend('cpu');

const grid = [4, 8, 8]; // latent frames × height × width tokens after patchify
const tokens = grid[0] * grid[1] * grid[2]; // token s = (t·H + h)·W + w
const heads = 4;
const headDim = 32;
const width = heads * headDim;

/** softmax(q·kᵀ/√d)·v per head; inputs [batch, tokens, heads·headDim]. */
class MultiHeadAttention extends tfl.layers.Layer {
  static className = 'example.MultiHeadAttention';
  constructor(args) {
    super(args);
    this.heads = args.heads;
  }
  computeOutputShape(inputShapes) {
    return inputShapes[2];
  }
  call([q, k, v]) {
    return tf.tidy(() => {
      const [batch, n, channels] = q.shape;
      const d = channels / this.heads;
      const split = (x) => tf.transpose(tf.reshape(x, [batch, n, this.heads, d]), [0, 2, 1, 3]);
      const scores = tf.mul(tf.matMul(split(q), split(k), false, true), 1 / Math.sqrt(d));
      const out = tf.matMul(tf.softmax(scores), split(v));
      return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [batch, n, channels]);
    });
  }
  getConfig() {
    return { ...super.getConfig(), heads: this.heads };
  }
}
tf.serialization.registerClass(MultiHeadAttention);

const x = tfl.input({ shape: [tokens, width] });
const q = tfl.layers.dense({ units: width, name: 'q' }).apply(x);
const k = tfl.layers.dense({ units: width, name: 'k' }).apply(x);
const v = tfl.layers.dense({ units: width, name: 'v' }).apply(x);
// Rope3D takes [batch, tokens, heads·headDim] straight from Dense (or [batch, tokens, heads, headDim]).
const rope = { grid, headDim, preset: 'wan' }; // split [12, 10, 10], θ = 10000, packed layout
const qRot = new Rope3D({ ...rope, name: 'rope_q' }).apply(q);
const kRot = new Rope3D({ ...rope, name: 'rope_k' }).apply(k);
const attended = new MultiHeadAttention({ heads }).apply([qRot, kRot, v]);
const y = tfl.layers.add().apply([x, tfl.layers.dense({ units: width, name: 'out' }).apply(attended)]);
const model = tfl.model({ inputs: x, outputs: y });

model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
const batch = tf.randomNormal([2, tokens, width]);
const target = tf.randomNormal([2, tokens, width]);
const history = await model.fit(batch, target, { epochs: 1, verbose: 0 });
console.log('loss after one step', history.history.loss[0].toFixed(4));

// Save and load without tfjs-node.
let artifacts;
await model.save(tf.io.withSaveHandler(async (a) => {
  artifacts = a;
  return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
}));
const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
const same = tf.max(tf.abs(tf.sub(model.predict(batch), loaded.predict(batch)))).dataSync()[0];
console.log('max difference after reload', same);
