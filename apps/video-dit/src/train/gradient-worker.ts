// A worker thread of GradientWorkers (parallel.ts): its own tfjs backend and copy of the weights,
// which computes the loss and gradients of the shards it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/index.js';
import { createDit } from '../model/index.js';
import { flattenTensors, shardGradients, unflatten } from './gradients.js';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './parallel.js';

const port = parentPort;
if (port === null) throw new Error('gradient-worker.js runs only as a worker thread of GradientWorkers');
const setup = workerData as WorkerSetup;

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

try {
  await initBackend(setup.backend);
  // The values are overwritten by every request; only the names and shapes matter here.
  const model = createDit(setup.model, 0);
  port.on('message', async (request: WorkerRequest) => {
    try {
      tf.tidy(() => {
        const values = unflatten(request.params, model.params);
        [...model.params.values()].forEach((weight, i) => {
          weight.assign(values[i]!);
        });
      });
      const { loss, grads } = shardGradients(model, request.shard, request.share);
      let values: Float32Array;
      let lossValue: number | undefined;
      try {
        values = await flattenTensors(grads);
        [lossValue] = await loss.data();
      } finally {
        tf.dispose([loss, ...grads]);
      }
      reply({ kind: 'gradients', id: request.id, loss: lossValue!, grads: values }, [values.buffer as ArrayBuffer]);
    } catch (error) {
      reply({ kind: 'error', id: request.id, message: errorText(error) });
    }
  });
  reply({ kind: 'ready' });
} catch (error) {
  reply({ kind: 'error', id: -1, message: `could not start the ${setup.backend} backend: ${errorText(error)}` });
}
