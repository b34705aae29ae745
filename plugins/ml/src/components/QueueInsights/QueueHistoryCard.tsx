import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { Box, Grid, MenuItem, TextField, Typography } from '@material-ui/core';
import {
  NamespaceGpuQuota,
  QueueHistoryResponse,
} from '@mlplatform/plugin-ml-common';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { mlApiRef } from '../../api';
import { formatNumber } from '../Health/format';
import { HealthChart } from '../Health/HealthChart';

/** The windows the card offers, in days. */
export const QUEUE_HISTORY_DAYS = [1, 7, 14, 30];

/** Each Kueue ClusterQueue of the quotas, once, as `cluster/queue`. */
export function clusterQueues(
  quotas: NamespaceGpuQuota[],
): Array<{ cluster: string; queue: string }> {
  const seen = new Map<string, { cluster: string; queue: string }>();
  for (const q of quotas) {
    if (q.source !== 'kueue' || !q.clusterQueue) continue;
    seen.set(`${q.cluster}/${q.clusterQueue}`, {
      cluster: q.cluster,
      queue: q.clusterQueue,
    });
  }
  return [...seen.values()].sort(
    (a, b) =>
      a.cluster.localeCompare(b.cluster) || a.queue.localeCompare(b.queue),
  );
}

const count = (v: number) => formatNumber(v);
const gpus = (v: number) => `${formatNumber(v)} GPUs`;

function per(stepSeconds: number): string {
  return stepSeconds >= 3600
    ? `${formatNumber(stepSeconds / 3600)} h`
    : `${formatNumber(stepSeconds / 60)} min`;
}

function HistoryCharts(props: { data: QueueHistoryResponse }) {
  const { data } = props;
  const errors = data.errors ?? {};
  const charts = [
    ...data.flavors.map(f => (
      <HealthChart
        key={`${f.flavor}/${f.resource}`}
        title={`GPU usage · ${f.flavor} (${f.resource.replace(
          /^nvidia\.com\//,
          '',
        )})`}
        format={gpus}
        error={errors.usage ?? errors.nominalQuota}
        lines={[
          {
            key: 'used',
            label: 'used (peak)',
            color: '#1565c0',
            points: f.usage,
          },
          {
            key: 'nominal',
            label: 'nominal quota',
            color: '#d32f2f',
            points: f.nominalQuota,
          },
        ]}
      />
    )),
    <HealthChart
      key="pending"
      title="Pending workloads"
      format={count}
      error={errors.pending}
      lines={[
        {
          key: 'active',
          label: 'waiting for quota',
          color: '#ef6c00',
          points: data.pending.active,
        },
        {
          key: 'inadmissible',
          label: 'inadmissible',
          color: '#6a1b9a',
          points: data.pending.inadmissible,
        },
      ]}
    />,
    <HealthChart
      key="admissions"
      title={`Admissions and preemptions per ${per(data.stepSeconds)}`}
      format={count}
      error={errors.admissions ?? errors.preemptions}
      lines={[
        {
          key: 'admitted',
          label: 'admitted',
          color: '#2e7d32',
          points: data.admissions,
        },
        {
          key: 'preempted',
          label: 'preempted',
          color: '#d32f2f',
          points: data.preemptions,
        },
      ]}
    />,
  ];
  return (
    <Grid container spacing={2}>
      {charts.map(chart => (
        <Grid item xs={12} md={6} key={chart.key}>
          {chart}
        </Grid>
      ))}
    </Grid>
  );
}

/**
 * A Kueue ClusterQueue's last days from Kueue's Prometheus metrics: GPU
 * usage against nominal quota per flavor, pending workloads, admissions
 * and preemptions.
 *
 * @public
 */
export function QueueHistoryCard(props: { quotas: NamespaceGpuQuota[] }) {
  const api = useApi(mlApiRef);
  const queues = clusterQueues(props.quotas);
  const [picked, setPicked] = useState<string>();
  const [days, setDays] = useState(7);
  const current =
    queues.find(q => `${q.cluster}/${q.queue}` === picked) ?? queues[0];
  const { value, loading, error } = useAsync(
    async () =>
      current ? api.getQueueHistory({ ...current, days }) : undefined,
    [current?.cluster, current?.queue, days],
  );

  if (!queues.length) {
    return (
      <InfoCard title="Queue history">
        <EmptyState
          missing="data"
          title="No Kueue queues here"
          description="Queue history covers Kueue ClusterQueues; the quotas shown are ResourceQuotas only."
        />
      </InfoCard>
    );
  }
  const key = `${current.cluster}/${current.queue}`;
  return (
    <InfoCard title="Queue history">
      <Box display="flex" style={{ gap: 16 }} mb={2}>
        <TextField
          select
          size="small"
          label="ClusterQueue"
          value={key}
          onChange={e => setPicked(e.target.value as string)}
          inputProps={{ 'aria-label': 'ClusterQueue' }}
        >
          {queues.map(q => (
            <MenuItem
              key={`${q.cluster}/${q.queue}`}
              value={`${q.cluster}/${q.queue}`}
            >
              {q.queue} ({q.cluster})
            </MenuItem>
          ))}
        </TextField>
        <TextField
          select
          size="small"
          label="Days"
          value={days}
          onChange={e => setDays(Number(e.target.value))}
          inputProps={{ 'aria-label': 'Days' }}
        >
          {QUEUE_HISTORY_DAYS.map(d => (
            <MenuItem key={d} value={d}>
              {d === 1 ? '1 day' : `${d} days`}
            </MenuItem>
          ))}
        </TextField>
      </Box>
      {error && <ResponseErrorPanel error={error} />}
      {loading && <Progress />}
      {value && !loading && (
        <>
          <HistoryCharts data={value} />
          {value.admissionsSource === 'recorded' && (
            <Typography variant="body2" color="textSecondary" paragraph>
              Prometheus has no Kueue admission counter for this queue: the
              admissions shown are the ones the portal recorded itself, since it
              started observing the cluster.
            </Typography>
          )}
          <Typography variant="caption" color="textSecondary">
            {value.method}
          </Typography>
        </>
      )}
    </InfoCard>
  );
}
