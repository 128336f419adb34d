Error.stackTraceLimit = 80;

import * as tf from '@tensorflow/tfjs-core';
import { initBackend, presetConfig, Trainer } from '../dist/index.js';

await initBackend('webgpu');
const config = presetConfig('small');
const trainer = new Trainer({ ...config, train: { ...config.train, threads: 1 } });
for (let i = 0; i < 3; i++) await trainer.trainStep();
const backend = tf.backend();
const proto = Object.getPrototypeOf(backend);
const upload = proto.uploadToGPU;
let on = true;
proto.uploadToGPU = function (dataId) {
  const d = this.tensorMap.get(dataId);
  if (on && d.values) console.log('upload', JSON.stringify(d.shape), d.dtype, d.values.length <= 4 ? Array.from(d.values) : '', new Error().stack.split('\n').filter((l) => l.includes('video-dit/dist') && !l.includes('uploads')).slice(0, 3).map((l) => l.trim().replace(/.*dist\//, '')).join(' < '));
  return upload.call(this, dataId);
};
await trainer.trainStep();
on = false;
trainer.dispose();
