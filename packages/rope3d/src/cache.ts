/**
 * A least-recently-used cache that tells its listeners about every entry it drops, so that what
 * was derived from an entry elsewhere (a table's uploaded tensors) can be freed with it.
 */
export class LruCache<V> {
  // a Map iterates in insertion order: re-inserting an entry on use keeps the oldest first
  private readonly entries = new Map<string, V>();
  private readonly evictionListeners: ((value: V) => void)[] = [];

  /**
   * @param capacity - entries kept; beyond it the least recently used is dropped.
   */
  constructor(readonly capacity: number) {}

  /**
   * The entry for a key, made on a miss; afterwards it is the most recently used.
   *
   * @param key - what identifies the entry.
   * @param create - makes the entry when the cache does not hold it.
   * @returns the cached or the new entry.
   */
  getOrCreate(key: string, create: () => V): V {
    const cached = this.entries.get(key);
    if (cached !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const value = create();
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      const evicted = this.entries.get(oldest)!;
      this.entries.delete(oldest);
      this.notifyEvicted(evicted);
    }
    return value;
  }

  /**
   * Registers a function called with each entry the cache drops.
   *
   * @param listener - called once per dropped entry.
   */
  onEvicted(listener: (value: V) => void): void {
    this.evictionListeners.push(listener);
  }

  /** Drops every entry, telling the listeners about each. */
  clear(): void {
    const values = [...this.entries.values()];
    this.entries.clear();
    for (const value of values) this.notifyEvicted(value);
  }

  private notifyEvicted(value: V): void {
    for (const listener of this.evictionListeners) listener(value);
  }
}
