import { createLimiter } from './limiter';

describe('createLimiter', () => {
  it('runs at most max tasks at once, in order, passing results and errors', async () => {
    const limit = createLimiter(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const task = (i: number) => async () => {
      started.push(i);
      running++;
      peak = Math.max(peak, running);
      await new Promise(r => setTimeout(r, 5));
      running--;
      if (i === 3) throw new Error('task 3 failed');
      return i * 10;
    };
    const results = await Promise.allSettled(
      [0, 1, 2, 3, 4].map(i => limit(task(i))),
    );
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(
      results.map(r => (r.status === 'fulfilled' ? r.value : r.reason.message)),
    ).toEqual([0, 10, 20, 'task 3 failed', 40]);
  });
});
