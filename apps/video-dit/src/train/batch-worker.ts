// A worker thread of BatchWorker (batches.ts): draws a run's next batches from its generator
// state, a few ahead of the steps that take them.
import { parentPort, workerData } from 'node:worker_threads';
import { restoreRng } from '@flowdit/timestep-shift';
import { type BatchWorkerReply, type BatchWorkerSetup, batchDrawer } from './batches.js';

const port = parentPort;
if (port === null) throw new Error('batch-worker.js runs only as a worker thread of BatchWorker');
const setup = workerData as BatchWorkerSetup;
const draw = batchDrawer(setup.config);
const rng = restoreRng(setup.rngState);
/** Batches it may still draw before one more is taken. */
let allowed = setup.ahead;

function drawAllowed(): void {
  for (; allowed > 0; allowed--) {
    let reply: BatchWorkerReply;
    try {
      reply = { kind: 'batch', batch: draw(rng), rngState: rng.state() };
    } catch (error) {
      port!.postMessage({ kind: 'error', message: error instanceof Error ? error.message : String(error) } satisfies BatchWorkerReply);
      return;
    }
    const { tokens, noise, t, lossWeight } = reply.batch;
    const buffers = new Set([tokens, noise, t, ...(lossWeight === undefined ? [] : [lossWeight])].map((values) => values.buffer as ArrayBuffer));
    port!.postMessage(reply, [...buffers]);
  }
}

port.on('message', () => {
  allowed += 1;
  drawAllowed();
});
drawAllowed();
