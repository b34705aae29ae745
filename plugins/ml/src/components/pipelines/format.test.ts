import {
  describeNextRun,
  describeSchedule,
  describeTrigger,
  formatDuration,
} from './format';

describe('formatDuration', () => {
  it('uses the two largest units', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(725)).toBe('12 min 5 s');
    expect(formatDuration(600)).toBe('10 min');
    expect(formatDuration(3900)).toBe('1 h 5 min');
    expect(formatDuration(7200)).toBe('2 h');
    expect(formatDuration(undefined)).toBeUndefined();
    expect(formatDuration(-1)).toBeUndefined();
  });
});

describe('describeSchedule', () => {
  it.each([
    ['0 3 * * *', 'every day at 03:00 UTC'],
    ['0 3 * * 1', 'every Monday at 03:00 UTC'],
    ['30 2 * * MON,THU', 'every Monday, Thursday at 02:30 UTC'],
    ['0 6 * * 1-5', 'every weekday at 06:00 UTC'],
    ['*/15 * * * *', 'every 15 minutes'],
    ['0 */6 * * *', 'every 6 hours at minute 0'],
    ['5 * * * *', 'every hour at minute 5'],
    ['0 4 1 * *', 'on day 1 of every month at 04:00 UTC'],
    ['@daily', 'every day at 00:00 UTC'],
    ['0 3 * 1 *', 'cron 0 3 * 1 * (UTC)'],
    ['0 1-3 * * *', 'cron 0 1-3 * * * (UTC)'],
  ])('%s is %s', (cron, words) => {
    expect(describeSchedule(cron)).toBe(words);
  });
});

describe('describeNextRun', () => {
  const now = Date.parse('2026-11-23T22:00:00Z'); // a Monday
  it('says how long until the next run and when that is in UTC', () => {
    expect(describeNextRun('2026-11-24T03:00:00Z', now)).toBe(
      'next run in 5 h (Tue 03:00 UTC)',
    );
    expect(describeNextRun('2026-11-23T22:40:00Z', now)).toBe(
      'next run in 40 min (Mon 22:40 UTC)',
    );
    expect(describeNextRun('2026-11-30T03:00:00Z', now)).toBe(
      'next run in 6 d (Mon 03:00 UTC)',
    );
    expect(describeNextRun(undefined, now)).toBeUndefined();
    expect(describeNextRun('soon', now)).toBeUndefined();
  });
});

describe('describeTrigger', () => {
  it('names the user or the alert', () => {
    expect(describeTrigger({ type: 'schedule' })).toBe('Schedule');
    expect(describeTrigger({ type: 'manual', by: 'user:default/guest' })).toBe(
      'Manual by guest',
    );
    expect(
      describeTrigger({ type: 'alert', by: 'ModelDriftHigh 3f2a9c' }),
    ).toBe('Alert ModelDriftHigh');
    expect(describeTrigger({ type: 'unknown' })).toBe('Unknown');
  });
});
