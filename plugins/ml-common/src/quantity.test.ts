import { isQuantity, parseDeviceCount, parseQuantity } from './quantity';

describe('quantities', () => {
  it.each([
    ['8', 8],
    [8, 8],
    ['1k', 1000],
    ['500m', 0.5],
    ['16Gi', 16 * 2 ** 30],
    ['1e3', 1000],
    ['1.5', 1.5],
    ['.5M', 500_000],
  ])('parses %p as %p', (input, expected) => {
    expect(parseQuantity(input)).toBeCloseTo(expected as number, 9);
  });

  it.each(['', 'abc', '1KB', '1 Gi', '--1', 'Gi'])('rejects %p', input => {
    expect(parseQuantity(input)).toBeUndefined();
    expect(isQuantity(input)).toBe(false);
  });

  it.each([null, {}, NaN])('rejects the non-quantity %p', input => {
    expect(parseQuantity(input)).toBeUndefined();
  });

  it('counts whole devices and never goes negative', () => {
    expect(parseDeviceCount('4')).toBe(4);
    expect(parseDeviceCount('1k')).toBe(1000);
    expect(parseDeviceCount('2500m')).toBe(2);
    expect(parseDeviceCount('-3')).toBe(0);
    expect(parseDeviceCount(undefined)).toBe(0);
    expect(parseDeviceCount('junk')).toBe(0);
  });
});
