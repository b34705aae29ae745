/** Numbers for people: a few significant digits, no trailing zeros. */
export function formatNumber(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  return String(Number(value.toPrecision(digits)));
}

/** A 0..1 fraction as a percentage: 0.005 → "0.5 %", 0.999 → "99.9 %". */
export function formatPercent(fraction: number): string {
  return `${formatNumber(fraction * 100, 4)} %`;
}

/** Milliseconds: 42.1234 → "42.1 ms", 1520 → "1.52 s". */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${formatNumber(ms / 1000)} s`;
  return `${formatNumber(ms)} ms`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes in binary units: 48213377 → "46 MiB". */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${formatNumber(value)} ${BYTE_UNITS[unit]}`;
}

/** Requests per second. */
export function formatRate(perSecond: number): string {
  return `${formatNumber(perSecond)} req/s`;
}

/** Tokens per second. */
export function formatTokenRate(perSecond: number): string {
  return `${formatNumber(perSecond)} tok/s`;
}
