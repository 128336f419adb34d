import { describe, expect, test } from 'vitest';
import { LruCache } from './cache.js';

/** A cache of capacity 2 that records what it creates and what it drops. */
function recordingCache() {
  const created: string[] = [];
  const evicted: string[] = [];
  const cache = new LruCache<string>(2);
  cache.onEvicted((value) => evicted.push(value));
  const get = (key: string) =>
    cache.getOrCreate(key, () => {
      created.push(key);
      return `value of ${key}`;
    });
  return { cache, get, created, evicted };
}

describe('LruCache', () => {
  test('a hit returns the same entry without creating it again', () => {
    const { get, created } = recordingCache();
    expect(get('a')).toBe('value of a');
    expect(get('a')).toBe('value of a');
    expect(created).toEqual(['a']);
  });

  test('beyond capacity the least recently used entry is dropped and its listeners told', () => {
    const { get, created, evicted } = recordingCache();
    get('a');
    get('b');
    get('a'); // a is now newer than b
    get('c');
    expect(evicted).toEqual(['value of b']);
    get('a');
    get('b');
    expect(created).toEqual(['a', 'b', 'c', 'b']);
    expect(evicted).toEqual(['value of b', 'value of c']);
  });

  test('clear drops every entry and tells the listeners about each', () => {
    const { cache, get, created, evicted } = recordingCache();
    get('a');
    get('b');
    cache.clear();
    expect(evicted).toEqual(['value of a', 'value of b']);
    get('a');
    expect(created).toEqual(['a', 'b', 'a']);
  });
});
