import {
  formatBytes,
  formatMs,
  formatNumber,
  formatPercent,
  formatRate,
} from './format';

describe('health number formats', () => {
  it('keeps a few significant digits', () => {
    expect(formatNumber(0.123456)).toBe('0.123');
    expect(formatNumber(12345.6)).toBe('12,346');
    expect(formatNumber(0)).toBe('0');
  });

  it('formats percentages, durations, sizes and rates', () => {
    expect(formatPercent(0.005)).toBe('0.5 %');
    expect(formatPercent(0.999)).toBe('99.9 %');
    expect(formatMs(42.1234)).toBe('42.1 ms');
    expect(formatMs(1520)).toBe('1.52 s');
    expect(formatBytes(48213377)).toBe('46 MiB');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatRate(12.345)).toBe('12.3 req/s');
  });
});
