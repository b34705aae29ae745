import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  Box,
  Button,
  MenuItem,
  TextField,
  Typography,
} from '@material-ui/core';
import { GpuHoursResponse } from '@mlplatform/plugin-ml-common';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { mlApiRef } from '../../api';
import { teamLabel } from '../shared/quotas';

const COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
];
const NO_TEAM = 'no team';

/** Rows of the chart: one per period, a GPU-hours column per team. */
export function chartRows(data: GpuHoursResponse) {
  const teams = [
    ...new Set(data.rows.map(r => (r.team ? teamLabel(r.team) : NO_TEAM))),
  ].sort();
  const byPeriod = new Map<string, Record<string, number | string>>();
  for (const r of data.rows) {
    const row = byPeriod.get(r.period) ?? { period: r.period };
    const team = r.team ? teamLabel(r.team) : NO_TEAM;
    row[team] = Number(row[team] ?? 0) + r.gpuHours;
    byPeriod.set(r.period, row);
  }
  return {
    teams,
    rows: [...byPeriod.values()].sort((a, b) =>
      String(a.period).localeCompare(String(b.period)),
    ),
  };
}

function download(text: string, name: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

/**
 * GPU-hours each team used per day or week (showback), stacked per team,
 * from kube-state-metrics in Prometheus; the CSV download has the rows per
 * cluster, namespace and GPU type.
 *
 * @public
 */
export function GpuHoursCard(props: { cluster?: string; team?: string }) {
  const api = useApi(mlApiRef);
  const [days, setDays] = useState(14);
  const [granularity, setGranularity] = useState<'day' | 'week'>('day');
  const query = {
    days,
    granularity,
    ...(props.cluster ? { cluster: props.cluster } : {}),
    ...(props.team ? { team: props.team } : {}),
  };
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.getGpuHours(query),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, days, granularity, props.cluster, props.team],
  );
  const [csvError, setCsvError] = useState<Error>();

  let body;
  if (loading && !value) {
    body = <Progress />;
  } else if (error) {
    body = (
      <ResponseErrorPanel title="Could not load GPU-hours" error={error} />
    );
  } else if (value && value.rows.length === 0) {
    body = (
      <EmptyState
        missing="data"
        title="No GPU-hours in this window"
        description="Prometheus has no GPU requests of running pods (kube_pod_container_resource_requests from kube-state-metrics) for these teams and clusters."
      />
    );
  } else if (value) {
    const { teams, rows } = chartRows(value);
    const total = value.rows.reduce((s, r) => s + r.gpuHours, 0);
    body = (
      <>
        <div role="figure" aria-label="GPU-hours per team">
          <ResponsiveContainer
            width="100%"
            height={240}
            initialDimension={{ width: 640, height: 240 }}
          >
            <BarChart
              data={rows}
              margin={{ top: 8, right: 16, bottom: 0, left: 8 }}
            >
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="period" fontSize={11} />
              <YAxis
                fontSize={11}
                label={{
                  value: 'GPU-hours',
                  angle: -90,
                  position: 'insideLeft',
                  fontSize: 11,
                }}
              />
              <Tooltip formatter={v => `${Number(v).toFixed(1)} GPU-h`} />
              <Legend />
              {teams.map((t, i) => (
                <Bar
                  key={t}
                  dataKey={t}
                  stackId="gpu"
                  fill={COLORS[i % COLORS.length]}
                />
              ))}
            </BarChart>
          </ResponsiveContainer>
        </div>
        <Typography variant="caption" color="textSecondary" component="p">
          {total.toFixed(1)} GPU-hours from {value.from} to {value.to} (today so
          far). {value.method}
        </Typography>
        {csvError && (
          <ResponseErrorPanel
            title="Could not download the CSV"
            error={csvError}
          />
        )}
      </>
    );
  }

  return (
    <InfoCard
      title="GPU-hours per team"
      subheader="Showback: GPUs requested by running pods, per day or week"
      action={
        <Box display="flex" style={{ gap: 8 }} alignItems="center">
          <TextField
            select
            size="small"
            variant="outlined"
            label="Window"
            value={days}
            onChange={e => setDays(Number(e.target.value))}
            SelectProps={{
              SelectDisplayProps: { 'aria-label': 'Window' } as any,
            }}
          >
            {[7, 14, 30, 90].map(d => (
              <MenuItem key={d} value={d}>
                {d} days
              </MenuItem>
            ))}
          </TextField>
          <TextField
            select
            size="small"
            variant="outlined"
            label="Per"
            value={granularity}
            onChange={e => setGranularity(e.target.value as 'day' | 'week')}
            SelectProps={{ SelectDisplayProps: { 'aria-label': 'Per' } as any }}
          >
            <MenuItem value="day">day</MenuItem>
            <MenuItem value="week">week</MenuItem>
          </TextField>
          <Button
            size="small"
            variant="outlined"
            disabled={!value?.rows.length}
            onClick={async () => {
              try {
                setCsvError(undefined);
                const csv = await api.getGpuHoursCsv(query);
                download(
                  csv,
                  `gpu-hours-${value!.from}-${value!.to}-${granularity}.csv`,
                );
              } catch (e) {
                setCsvError(e as Error);
              }
            }}
          >
            Download CSV
          </Button>
          <Button size="small" onClick={retry}>
            Refresh
          </Button>
        </Box>
      }
    >
      {body}
    </InfoCard>
  );
}
