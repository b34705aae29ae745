interface CacheEntry<T> {
  promise: Promise<T>;
  /** `Infinity` while in flight; set when the load succeeds. */
  expiresAt: number;
}

/**
 * The request cache of the monitoring clients and the registry service: a call identical to one in
 * flight shares its promise (coalescing), a successful result is reused for
 * `ttlMs`, and failures are never cached, so a recovered server is seen on
 * the next call. Bounded to `maxEntries`; in-flight entries are never evicted.
 *
 * @internal
 */
export class CoalescingCache<T> {
  private readonly entries = new Map<string, CacheEntry<T>>();
  /** Calls answered from a settled entry, and calls that joined one in flight. */
  readonly counters = { cacheHits: 0, coalesced: 0 };

  constructor(
    private readonly options: { ttlMs: number; maxEntries: number },
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > Date.now()) {
      if (entry.expiresAt === Infinity) this.counters.coalesced += 1;
      else this.counters.cacheHits += 1;
      return entry.promise;
    }
    const promise = load();
    const fresh: CacheEntry<T> = { promise, expiresAt: Infinity };
    this.entries.delete(key);
    this.entries.set(key, fresh);
    this.evict();
    promise.then(
      () => {
        fresh.expiresAt = Date.now() + this.options.ttlMs;
      },
      () => {
        // Only drop our own entry: a newer request may have replaced it.
        if (this.entries.get(key) === fresh) this.entries.delete(key);
      },
    );
    return promise;
  }

  /** Forgets `key`, e.g. after a write, so the next call loads afresh. */
  delete(key: string): void {
    this.entries.delete(key);
  }

  private evict() {
    const max = this.options.maxEntries;
    if (this.entries.size <= max) return;
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(key);
    }
    // Still full of live entries: drop the oldest settled ones (Map keeps
    // insertion order). In-flight entries stay so coalescing keeps working.
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= max) break;
      if (entry.expiresAt !== Infinity) this.entries.delete(key);
    }
  }
}
