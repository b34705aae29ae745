/**
 * One sample: `[timestamp in SECONDS since the epoch, value]`.
 *
 * Seconds, not milliseconds, because that is what OpenMetrics (and so
 * `promtool tsdb create-blocks-from openmetrics`) expects; a millisecond
 * value would land thousands of years in the future.
 *
 * @public
 */
export type OpenMetricsPoint = [timestampSeconds: number, value: number];

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabelValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/**
 * Builds OpenMetrics sample lines for one series, for use as
 * `startPrometheus({ backfill })`. No `# TYPE` line is written (the series
 * is "unknown" typed), so the output of several calls, even for the same
 * metric name, can simply be concatenated; `# EOF` is appended by
 * `startPrometheus` when missing.
 *
 * @example
 * ```ts
 * const now = Math.floor(Date.now() / 1000);
 * openMetricsSeries('model_accuracy', { model: 'm1' }, [[now - 60, 0.9], [now, 0.95]]);
 * ```
 *
 * @public
 */
export function openMetricsSeries(
  name: string,
  labels: Record<string, string>,
  points: OpenMetricsPoint[],
): string {
  if (!METRIC_NAME.test(name)) throw new Error(`Invalid metric name '${name}'`);
  const labelText = Object.entries(labels)
    .map(([k, v]) => {
      if (!LABEL_NAME.test(k)) throw new Error(`Invalid label name '${k}'`);
      return `${k}="${escapeLabelValue(v)}"`;
    })
    .join(',');
  const series = labelText ? `${name}{${labelText}}` : name;
  // OpenMetrics requires increasing timestamps within a series; sorting
  // here saves callers a confusing promtool parse error.
  return [...points]
    .sort((a, b) => a[0] - b[0])
    .map(([ts, value]) => {
      if (ts > 1e11) {
        throw new Error(
          `Timestamp ${ts} looks like milliseconds; OpenMetrics wants seconds`,
        );
      }
      return `${series} ${formatValue(value)} ${ts}\n`;
    })
    .join('');
}

/**
 * Ensures OpenMetrics text ends with the mandatory `# EOF` line.
 *
 * @public
 */
export function withOpenMetricsEof(text: string): string {
  const trimmed = text.replace(/\s+$/, '');
  if (trimmed.endsWith('# EOF')) return `${trimmed}\n`;
  return trimmed ? `${trimmed}\n# EOF\n` : '# EOF\n';
}
