import { CoalescingCache } from './coalescingCache';

/** A load whose result the test decides, counting its calls. */
function loader<T>() {
  const calls: Array<{
    resolve: (v: T) => void;
    reject: (e: Error) => void;
  }> = [];
  const load = () =>
    new Promise<T>((resolve, reject) => calls.push({ resolve, reject }));
  return { load, calls };
}

describe('CoalescingCache', () => {
  let now = 1_000_000;
  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  it('shares a load in flight, reuses its result for the TTL, then loads again', async () => {
    const cache = new CoalescingCache<string>({ ttlMs: 100, maxEntries: 10 });
    const { load, calls } = loader<string>();
    const a = cache.get('k', load);
    const b = cache.get('k', load);
    expect(calls).toHaveLength(1);
    calls[0].resolve('one');
    expect(await a).toBe('one');
    expect(await b).toBe('one');
    now += 99;
    expect(await cache.get('k', load)).toBe('one');
    expect(cache.counters).toEqual({
      cacheHits: 1,
      coalesced: 1,
      staleHits: 0,
    });
    now += 1;
    const c = cache.get('k', load);
    expect(calls).toHaveLength(2);
    calls[1].resolve('two');
    expect(await c).toBe('two');
  });

  it('never keeps a failure', async () => {
    const cache = new CoalescingCache<string>({ ttlMs: 100, maxEntries: 10 });
    const { load, calls } = loader<string>();
    const a = cache.get('k', load);
    calls[0].reject(new Error('down'));
    await expect(a).rejects.toThrow('down');
    const b = cache.get('k', load);
    expect(calls).toHaveLength(2);
    calls[1].resolve('up');
    expect(await b).toBe('up');
  });

  describe('stale-while-revalidate', () => {
    it('answers a stale result at once while one load refreshes it', async () => {
      const cache = new CoalescingCache<string>({
        ttlMs: 100,
        staleMs: 100,
        maxEntries: 10,
      });
      const { load, calls } = loader<string>();
      const first = cache.get('k', load);
      calls[0].resolve('one');
      await first;
      now += 150;
      expect(await cache.get('k', load)).toBe('one');
      expect(await cache.get('k', load)).toBe('one');
      // One refresh for both stale answers.
      expect(calls).toHaveLength(2);
      expect(cache.counters.staleHits).toBe(2);
      calls[1].resolve('two');
      await Promise.resolve();
      expect(await cache.get('k', load)).toBe('two');
      expect(cache.counters.cacheHits).toBe(1);
    });

    it('makes the caller wait once the result is older than TTL + stale', async () => {
      const cache = new CoalescingCache<string>({
        ttlMs: 100,
        staleMs: 100,
        maxEntries: 10,
      });
      const { load, calls } = loader<string>();
      const first = cache.get('k', load);
      calls[0].resolve('one');
      await first;
      now += 200;
      const next = cache.get('k', load);
      const joined = cache.get('k', load);
      expect(calls).toHaveLength(2);
      calls[1].resolve('two');
      expect(await next).toBe('two');
      expect(await joined).toBe('two');
      expect(cache.counters).toEqual({
        cacheHits: 0,
        coalesced: 1,
        staleHits: 0,
      });
    });

    it('does not keep a result `keep` refuses, nor the stale one it replaced', async () => {
      const cache = new CoalescingCache<string>({
        ttlMs: 100,
        staleMs: 100,
        maxEntries: 10,
        keep: v => v !== 'outage',
      });
      const { load, calls } = loader<string>();
      const first = cache.get('k', load);
      calls[0].resolve('one');
      await first;
      now += 150;
      expect(await cache.get('k', load)).toBe('one');
      calls[1].resolve('outage');
      await Promise.resolve();
      // The outage answered nobody from the cache; the next call asks again.
      const next = cache.get('k', load);
      expect(calls).toHaveLength(3);
      calls[2].resolve('outage');
      expect(await next).toBe('outage');
      const again = cache.get('k', load);
      expect(calls).toHaveLength(4);
      calls[3].resolve('back');
      expect(await again).toBe('back');
    });
  });
});
