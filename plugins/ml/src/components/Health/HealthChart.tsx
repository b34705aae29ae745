import { Link } from '@backstage/core-components';
import { Typography } from '@material-ui/core';
import { ModelHealthPoint } from '@mlplatform/plugin-ml-common';
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { useLocation } from 'react-router-dom';
import { badWindow, logsWindowHref } from '../Logs/logsWindow';

/** One line of a chart: its series and how to show it. */
export interface ChartLine {
  key: string;
  label: string;
  color: string;
  points: ModelHealthPoint[];
  /** Multiplies every value, e.g. 1000 for seconds → ms. */
  scale?: number;
}

function timeLabel(t: number, spanSeconds: number): string {
  const d = new Date(t * 1000);
  if (spanSeconds > 2 * 86_400) {
    return d.toLocaleDateString('en-GB', { day: '2-digit', month: 'short' });
  }
  return d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
}

/** Merges the lines' points into rows keyed by time, for recharts. */
export function mergeSeries(lines: ChartLine[]) {
  const rows = new Map<number, Record<string, number | null>>();
  for (const line of lines) {
    for (const p of line.points) {
      const row = rows.get(p.t) ?? { t: p.t };
      row[line.key] =
        p.v === null || !Number.isFinite(p.v) ? null : p.v * (line.scale ?? 1);
      rows.set(p.t, row);
    }
  }
  return [...rows.values()].sort((a, b) => (a.t as number) - (b.t as number));
}

/** The window in which any line of the chart was above its threshold. */
function breachWindow(lines: ChartLine[], threshold?: { value: number }) {
  if (!threshold) return undefined;
  const windows = lines
    .map(l => badWindow(l.points, threshold.value, l.scale))
    .filter(w => w !== undefined);
  if (!windows.length) return undefined;
  return {
    start: windows.map(w => w.start).sort()[0],
    end: windows.map(w => w.end).sort()[windows.length - 1],
  };
}

const hhmm = (iso: string) =>
  new Date(iso).toLocaleTimeString('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
  });

/**
 * A small time-series chart of a health panel, with an optional SLO
 * threshold drawn as a dashed reference line, and, when the series broke
 * it, a link to the Logs card on those minutes.
 */
export function HealthChart(props: {
  title: string;
  lines: ChartLine[];
  format: (value: number) => string;
  threshold?: { value: number; label: string };
  error?: string;
}) {
  const { title, lines, format, threshold, error } = props;
  const location = useLocation();
  const data = mergeSeries(lines);
  const bad = breachWindow(lines, threshold);
  const hasData = data.some(row =>
    lines.some(l => row[l.key] !== null && row[l.key] !== undefined),
  );
  const span =
    data.length > 1
      ? (data[data.length - 1].t as number) - (data[0].t as number)
      : 0;
  return (
    <div aria-label={`${title} chart`} role="figure">
      <Typography variant="subtitle2">{title}</Typography>
      {error && (
        <Typography variant="caption" color="error">
          Query failed: {error}
        </Typography>
      )}
      {!error && !hasData && (
        <Typography variant="caption" color="textSecondary">
          No data in this window
        </Typography>
      )}
      {hasData && (
        <ResponsiveContainer
          width="100%"
          height={160}
          initialDimension={{ width: 360, height: 160 }}
        >
          <LineChart
            data={data}
            margin={{ top: 8, right: 16, bottom: 0, left: 8 }}
          >
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis
              dataKey="t"
              type="number"
              domain={['dataMin', 'dataMax']}
              tickFormatter={t => timeLabel(t, span)}
              fontSize={11}
            />
            <YAxis tickFormatter={v => format(v)} width={64} fontSize={11} />
            <Tooltip
              labelFormatter={t => new Date(Number(t) * 1000).toLocaleString()}
              formatter={v => (typeof v === 'number' ? format(v) : '—')}
            />
            {lines.length > 1 && <Legend />}
            {lines.map(line => (
              <Line
                key={line.key}
                dataKey={line.key}
                name={line.label}
                stroke={line.color}
                dot={false}
                isAnimationActive={false}
                connectNulls={false}
              />
            ))}
            {threshold && (
              <ReferenceLine
                y={threshold.value}
                stroke="#d32f2f"
                strokeDasharray="6 3"
                ifOverflow="extendDomain"
                label={{
                  value: threshold.label,
                  position: 'insideTopRight',
                  fontSize: 11,
                  fill: '#d32f2f',
                }}
              />
            )}
          </LineChart>
        </ResponsiveContainer>
      )}
      {bad && (
        <Typography variant="caption">
          <Link to={logsWindowHref(location.search, bad)}>
            Logs of the minutes over {threshold!.label} ({hhmm(bad.start)}–
            {hhmm(bad.end)})
          </Link>
        </Typography>
      )}
    </div>
  );
}
