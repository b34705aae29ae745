import { nextRunAt } from './schedule';

describe('nextRunAt', () => {
  // A Wednesday.
  const from = new Date('2026-11-25T10:17:30Z');

  it.each([
    ['0 3 * * 1', '2026-11-30T03:00:00Z'],
    ['0 1 * * *', '2026-11-26T01:00:00Z'],
    ['*/30 * * * *', '2026-11-25T10:30:00Z'],
    ['15,45 9-17 * * mon-fri', '2026-11-25T10:45:00Z'],
    ['0 0 1 */3 *', '2027-01-01T00:00:00Z'],
    ['0 12 * dec sun', '2026-12-06T12:00:00Z'],
    ['0 0 * * 7', '2026-11-29T00:00:00Z'],
    // Either day field matching is enough: the 1st, or any Friday.
    ['0 0 1 * 5', '2026-11-27T00:00:00Z'],
    ['@hourly', '2026-11-25T11:00:00Z'],
    ['@daily', '2026-11-26T00:00:00Z'],
    ['@midnight', '2026-11-26T00:00:00Z'],
    ['@weekly', '2026-11-29T00:00:00Z'],
    ['@monthly', '2026-12-01T00:00:00Z'],
    ['@yearly', '2027-01-01T00:00:00Z'],
    ['@annually', '2027-01-01T00:00:00Z'],
  ])('%s fires next at %s', (schedule, expected) => {
    expect(nextRunAt(schedule, from)).toBe(expected);
  });

  it('is strictly after the given time', () => {
    expect(nextRunAt('0 3 * * 1', new Date('2026-11-30T03:00:00Z'))).toBe(
      '2026-12-07T03:00:00Z',
    );
  });

  it.each(['@reboot', '* * * *', '0 0 * * * *', '61 * * * *', 'x y z a b'])(
    'rejects %p',
    schedule => {
      expect(() => nextRunAt(schedule, from)).toThrow(TypeError);
    },
  );
});
