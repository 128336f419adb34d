import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

const FIXTURES = new URL('./fixtures/', import.meta.url);

/** Reads one golden-vector file of test/fixtures. */
export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as T;
}

/** The backends the tests run on. */
export const BACKENDS = ['cpu', 'wasm'] as const;

/** Switches to a backend, failing loudly if it cannot start. */
export async function useBackend(name: (typeof BACKENDS)[number]): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}

/** Largest absolute difference between two equally long lists. */
export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  return worst;
}

/** Float32 inputs as the fixtures' recipes make them. */
export function recipe(length: number, f: (i: number) => number): Float32Array {
  return Float32Array.from({ length }, (_, i) => f(i));
}
