interface CacheEntry<T> {
  /** The last kept result, settled; the same promise for every caller. */
  value?: Promise<T>;
  /** What `value` resolved to, handed to the load that refreshes it. */
  last?: T;
  /** Until when `value` is fresh. */
  expiresAt: number;
  /** The load in flight. */
  pending?: Promise<T>;
}

/**
 * Options of {@link CoalescingCache}.
 *
 * @internal
 */
export interface CoalescingCacheOptions<T> {
  /** How long a result is fresh. */
  ttlMs: number;
  maxEntries: number;
  /**
   * Stale-while-revalidate: for this long after expiry a result is still
   * answered at once while one load refreshes it in the background, so no
   * caller waits once a key is warm. Default 0: an expired result is loaded
   * afresh and the caller waits.
   */
  staleMs?: number;
  /**
   * Whether a result may be kept. A result not kept is still the answer of
   * the calls that shared its load, but the next call loads again (and any
   * stale result is dropped), e.g. an answer made while an upstream is down.
   * Default: every result is kept.
   */
  keep?: (value: T) => boolean;
}

/**
 * The request cache of the monitoring clients, the health service and the
 * registry service: a call identical to one in flight shares its promise
 * (coalescing), a successful result is reused for `ttlMs` (and, with
 * `staleMs`, answered stale while it is refreshed), and failures are never
 * cached, so a recovered server is seen on the next call. Bounded to
 * `maxEntries`; in-flight entries are never evicted.
 *
 * @internal
 */
export class CoalescingCache<T> {
  private readonly entries = new Map<string, CacheEntry<T>>();
  /**
   * Calls answered from a fresh result, calls that joined a load in flight,
   * and calls answered from a stale result while it was refreshed.
   */
  readonly counters = { cacheHits: 0, coalesced: 0, staleHits: 0 };

  constructor(private readonly options: CoalescingCacheOptions<T>) {}

  /**
   * The result for `key`, loaded by `load` when there is none. A load that
   * refreshes a stale result is given it, e.g. to tell what was asked of it.
   */
  get(key: string, load: (stale?: T) => Promise<T>): Promise<T> {
    const now = Date.now();
    let entry = this.entries.get(key);
    if (entry?.value) {
      if (now < entry.expiresAt) {
        this.counters.cacheHits += 1;
        return entry.value;
      }
      if (now < entry.expiresAt + this.staleMs()) {
        if (!entry.pending) this.load(key, entry, load);
        this.counters.staleHits += 1;
        return entry.value;
      }
    }
    if (entry?.pending) {
      this.counters.coalesced += 1;
      return entry.pending;
    }
    entry = { expiresAt: 0 };
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.evict();
    return this.load(key, entry, load);
  }

  /** Forgets `key`, e.g. after a write, so the next call loads afresh. */
  delete(key: string): void {
    this.entries.delete(key);
  }

  private staleMs(): number {
    return this.options.staleMs ?? 0;
  }

  private load(
    key: string,
    entry: CacheEntry<T>,
    load: (stale?: T) => Promise<T>,
  ): Promise<T> {
    const pending = load(entry.value ? entry.last : undefined);
    entry.pending = pending;
    const drop = () => {
      entry.pending = undefined;
      entry.value = undefined;
      entry.last = undefined;
      // Only drop our own entry: a newer request may have replaced it.
      if (this.entries.get(key) === entry) this.entries.delete(key);
    };
    pending.then(value => {
      if (this.options.keep && !this.options.keep(value)) {
        drop();
        return;
      }
      entry.pending = undefined;
      entry.value = pending;
      entry.last = value;
      entry.expiresAt = Date.now() + this.options.ttlMs;
    }, drop);
    return pending;
  }

  private evict() {
    const max = this.options.maxEntries;
    if (this.entries.size <= max) return;
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (!entry.pending && entry.expiresAt + this.staleMs() <= now) {
        this.entries.delete(key);
      }
    }
    // Still full of live entries: drop the oldest settled ones (Map keeps
    // insertion order). In-flight entries stay so coalescing keeps working.
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= max) break;
      if (!entry.pending) this.entries.delete(key);
    }
  }
}
