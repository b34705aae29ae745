import { PipelineRun } from '@mlplatform/plugin-ml-common';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { formatDuration } from './format';
import { RUN_STATUS_COLOR } from './RunStatusChip';

/**
 * Duration of the recent runs, oldest to newest, each bar in its status
 * colour; runs without a duration (not started yet) are left out.
 */
export function RunDurationChart(props: { runs: PipelineRun[] }) {
  const data = [...props.runs]
    .reverse()
    .filter(run => run.durationSeconds !== undefined)
    .map(run => ({
      id: run.id,
      label: run.startedAt
        ? new Date(run.startedAt).toLocaleString('en-GB', {
            day: '2-digit',
            month: 'short',
            hour: '2-digit',
            minute: '2-digit',
          })
        : run.id,
      minutes: (run.durationSeconds ?? 0) / 60,
      status: run.status,
    }));
  if (data.length === 0) return null;
  return (
    <div role="figure" aria-label="Run durations">
      <ResponsiveContainer
        width="100%"
        height={140}
        initialDimension={{ width: 480, height: 140 }}
      >
        <BarChart
          data={data}
          margin={{ top: 8, right: 16, bottom: 0, left: 8 }}
        >
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" fontSize={11} />
          <YAxis
            fontSize={11}
            width={48}
            tickFormatter={m => `${Math.round(m)} min`}
          />
          <Tooltip
            labelFormatter={(_, items) => String(items?.[0]?.payload?.id ?? '')}
            formatter={(value, _name, item) => [
              formatDuration(Number(value) * 60) ?? '—',
              String(item?.payload?.status ?? ''),
            ]}
          />
          <Bar dataKey="minutes" name="Duration" isAnimationActive={false}>
            {data.map(d => (
              <Cell key={d.id} fill={RUN_STATUS_COLOR[d.status]} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
