import { age, relativeTime } from './relativeTime';

const now = Date.parse('2026-11-23T12:00:00Z');

describe('relativeTime', () => {
  it('says how long ago in the largest whole unit', () => {
    expect(relativeTime('2026-11-23T11:48:00Z', now)).toBe('12 minutes ago');
    expect(relativeTime('2026-11-23T09:00:00Z', now)).toBe('3 hours ago');
    expect(relativeTime('2026-11-21T12:00:00Z', now)).toBe('2 days ago');
    expect(relativeTime('2026-11-23T11:59:50Z', now)).toBe('just now');
  });

  it('gives undefined for missing or unreadable timestamps', () => {
    expect(relativeTime(undefined, now)).toBeUndefined();
    expect(relativeTime('yesterday', now)).toBeUndefined();
  });
});

describe('age', () => {
  it('is compact', () => {
    expect(age('2026-11-23T11:48:00Z', now)).toBe('12m');
    expect(age('2026-11-23T07:00:00Z', now)).toBe('5h');
    expect(age('2026-11-20T12:00:00Z', now)).toBe('3d');
  });
});
