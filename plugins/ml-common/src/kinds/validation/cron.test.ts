import { checkCronValues } from './cron';

describe('checkCronValues', () => {
  it.each([
    '0 3 * * 1',
    '*/15 0-6,22-23 * * *',
    '0 4 * JAN-MAR SUN',
    '0 0 1 * 7',
    '@daily',
  ])('accepts %s', expression => {
    expect(checkCronValues(expression)).toBeUndefined();
  });

  it.each([
    ['60 * * * *', 'has an invalid minute "60" (expected 0-59)'],
    ['0 0 0 * *', 'has an invalid day of month "0" (expected 1-31)'],
    ['0 0 * FOO *', 'has an invalid month "FOO" (expected 1-12 or JAN-DEC)'],
    ['0 0 * * 8', 'has an invalid day of week "8" (expected 0-7 or SUN-SAT)'],
    ['*/0 * * * *', 'has an invalid minute step "/0" (expected at least 1)'],
    ['0 5-2 * * *', 'has a backwards hour range "5-2"'],
  ])('rejects %s', (expression, problem) => {
    expect(checkCronValues(expression)).toBe(problem);
  });
});
