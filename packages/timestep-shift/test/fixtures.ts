import { readFileSync } from 'node:fs';

const FIXTURES = new URL('./fixtures/', import.meta.url);

/** Parses one golden-vector file of test/fixtures (its README says how each was made). */
export function readFixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as T;
}

/** Largest |a[i] − b[i]| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
