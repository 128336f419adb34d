// A worker thread of BatchWorker (batches.ts): draws a run's next batches from its generator
// state, a few ahead of the steps that take them. It waits on the count of batches taken, which
// the main thread raises in shared memory (cheaper for it than a message a batch).
import { parentPort, workerData } from 'node:worker_threads';
import { restoreRng } from '@flowdit/timestep-shift';
import { type BatchWorkerReply, type BatchWorkerSetup, batchDrawer } from './batches.js';

const port = parentPort;
if (port === null) throw new Error('batch-worker.js runs only as a worker thread of BatchWorker');
const setup = workerData as BatchWorkerSetup;
const draw = batchDrawer(setup.config);
const rng = restoreRng(setup.rngState);
const taken = new Int32Array(setup.taken);

for (let drawn = 0; ; drawn++) {
  for (let seen = Atomics.load(taken, 0); drawn - seen >= setup.ahead; seen = Atomics.load(taken, 0)) Atomics.wait(taken, 0, seen);
  let reply: BatchWorkerReply;
  try {
    reply = { kind: 'batch', batch: draw(rng), rngState: rng.state() };
  } catch (error) {
    port.postMessage({ kind: 'error', message: error instanceof Error ? error.message : String(error) } satisfies BatchWorkerReply);
    break;
  }
  const { tokens, noise, t, lossWeight } = reply.batch;
  const buffers = new Set([tokens, noise, t, ...(lossWeight === undefined ? [] : [lossWeight])].map((values) => values.buffer as ArrayBuffer));
  port.postMessage(reply, [...buffers]);
}
