import { Typography } from '@material-ui/core';
import { ComparedMetric, ExperimentRun } from '@mlplatform/plugin-ml-common';
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { formatMetric } from './format';

/** Rows keyed by step, one column per run, as recharts wants them. */
export function rowsByStep(metric: ComparedMetric) {
  const rows = new Map<number, Record<string, number>>();
  for (const [runId, points] of Object.entries(metric.histories)) {
    for (const p of points) {
      const row = rows.get(p.step) ?? { step: p.step };
      row[runId] = p.value;
      rows.set(p.step, row);
    }
  }
  return [...rows.values()].sort((a, b) => a.step - b.step);
}

/**
 * One metric's history in every compared run, overlaid, step on x: the
 * learning curves side by side.
 */
export function MetricHistoryChart(props: {
  metric: ComparedMetric;
  /** The lines: runs, or any series with an id and a name. */
  runs: Array<Pick<ExperimentRun, 'id' | 'name'>>;
  colors: Record<string, string>;
}) {
  const { metric, runs, colors } = props;
  const data = rowsByStep(metric);
  const plotted = runs.filter(r => metric.histories[r.id]?.length);
  return (
    <div role="figure" aria-label={`${metric.name} chart`}>
      <Typography variant="subtitle2">
        {metric.name}
        {metric.downsampled && (
          <Typography variant="caption" color="textSecondary">
            {' '}
            (long histories thinned for the chart)
          </Typography>
        )}
      </Typography>
      {data.length === 0 ? (
        <Typography variant="caption" color="textSecondary">
          None of these runs logged {metric.name}
        </Typography>
      ) : (
        <ResponsiveContainer
          width="100%"
          height={200}
          initialDimension={{ width: 420, height: 200 }}
        >
          <LineChart data={data} margin={{ top: 8, right: 16, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis
              dataKey="step"
              type="number"
              domain={['dataMin', 'dataMax']}
              allowDecimals={false}
              fontSize={11}
              label={{
                value: 'step',
                position: 'insideBottomRight',
                offset: -4,
                fontSize: 11,
              }}
            />
            <YAxis
              tickFormatter={v => formatMetric(v)}
              width={64}
              fontSize={11}
              domain={['auto', 'auto']}
            />
            <Tooltip
              labelFormatter={step => `step ${step}`}
              formatter={v => (typeof v === 'number' ? formatMetric(v) : '—')}
            />
            <Legend />
            {plotted.map(run => (
              <Line
                key={run.id}
                dataKey={run.id}
                name={run.name ?? run.id}
                stroke={colors[run.id]}
                dot={data.length <= 30}
                isAnimationActive={false}
                connectNulls
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      )}
    </div>
  );
}
