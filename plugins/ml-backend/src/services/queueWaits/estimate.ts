/**
 * Quantile `q` (0..1) of sorted values, interpolated between the two
 * nearest ranks (Hyndman & Fan type 7, as numpy and R default).
 *
 * @internal
 */
export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** p50 and p90 of some waits, or undefined below `minSamples`. @internal */
export function waitQuantiles(
  waits: number[],
  minSamples: number,
): { p50: number; p90: number; samples: number } | undefined {
  if (waits.length < Math.max(1, minSamples)) return undefined;
  const sorted = [...waits].sort((a, b) => a - b);
  return {
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    samples: sorted.length,
  };
}
