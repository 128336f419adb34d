import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { pollStatistics } from './dawn-polling.js';
import { initBackend } from './init-backend.js';

describe.skipIf(!process.env.VK_DRIVER_FILES)('Dawn event polling on webgpu (lavapipe)', () => {
  test('a read waiting for the GPU polls about once a millisecond, not at every turn of the event loop', async () => {
    await initBackend('webgpu');
    const a = tf.randomNormal([768, 768]);
    await a.data();
    pollStatistics.eager = 0;
    pollStatistics.delayed = 0;
    const product = tf.tidy(() => tf.matMul(tf.matMul(a, a), tf.matMul(a, a)));
    const started = performance.now();
    await product.data();
    const waited = performance.now() - started;
    // spinning, Dawn polled at every turn of the event loop: thousands of times in a wait this long
    expect(waited).toBeGreaterThan(5);
    expect(pollStatistics.delayed).toBeGreaterThan(0);
    expect(pollStatistics.eager + pollStatistics.delayed).toBeLessThan(2 * waited + 100);
    tf.dispose([a, product]);
  });

  test("other callbacks of setImmediate still run at the event loop's next turn", async () => {
    await initBackend('webgpu');
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      setTimeout(() => {
        order.push('timeout');
        resolve();
      }, 1);
      setImmediate(() => order.push('immediate'));
    });
    expect(order).toEqual(['immediate', 'timeout']);
  });
});
