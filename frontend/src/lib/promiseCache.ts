/**
 * Promises by key, at most `capacity` of them: loads in flight are shared, and failed loads are
 * dropped so the next request retries. The oldest entry goes first; with `lru`, a hit counts as new
 * (least recently used goes first), for views that scrub back and forth.
 */
export class PromiseCache {
  private readonly entries = new Map<string, Promise<unknown>>();

  constructor(
    readonly capacity: number,
    private readonly options: { lru?: boolean } = {},
  ) {}

  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    let promise = this.entries.get(key) as Promise<T> | undefined;
    if (promise) {
      if (!this.options.lru) return promise;
      this.entries.delete(key);
    } else {
      const loaded = load();
      promise = loaded;
      // Only this load's own entry: after an eviction the key may hold a newer load by now.
      loaded.catch(() => {
        if (this.entries.get(key) === loaded) this.entries.delete(key);
      });
    }
    this.entries.set(key, promise);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return promise;
  }
}

/**
 * `load` cached by its arguments and the host reload generation (the last argument): a bump of
 * `generation` (host DataReloaded) refetches instead of serving a response from before it. The one
 * way the tabs cache what they fetch. Shared loads take no AbortSignal (one view leaving must not
 * cancel another's).
 */
export function cachedLoader<A extends unknown[], R>(
  load: (...args: A) => Promise<R>,
  capacity: number,
  options: { lru?: boolean } = {},
): (...call: [...A, number]) => Promise<R> {
  const cache = new PromiseCache(capacity, options);
  return (...call) => {
    const args = call.slice(0, -1) as A;
    return cache.get(JSON.stringify(call), () => load(...args));
  };
}
