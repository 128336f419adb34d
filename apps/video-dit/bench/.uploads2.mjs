Error.stackTraceLimit = 40;

import * as tf from '@tensorflow/tfjs-core';
import { initBackend, presetConfig, Trainer } from '../dist/index.js';

await initBackend('webgpu');
const config = presetConfig('small');
const trainer = new Trainer({ ...config, train: { ...config.train, threads: 1 } });
for (let i = 0; i < 3; i++) await trainer.trainStep();
const proto = Object.getPrototypeOf(tf.backend());
const upload = proto.uploadToGPU;
let n = 0;
proto.uploadToGPU = function (dataId) {
  const d = this.tensorMap.get(dataId);
  if (d.values && ++n >= 8 && n <= 9) console.log(new Error().stack.split('\n').slice(2, 14).join('\n'));
  return upload.call(this, dataId);
};
await trainer.trainStep();
trainer.dispose();
