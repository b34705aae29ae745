import { InfoCard, Table, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { MenuItem, TextField, Typography } from '@material-ui/core';
import {
  formatWait,
  NamespaceGpuQuota,
  WaitEstimateResponse,
} from '@mlplatform/plugin-ml-common';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { mlApiRef } from '../../api';
import { serverMessage } from '../shared/errors';

const SIZES = [1, 2, 4, 8, 16];

interface QueueShape {
  cluster: string;
  clusterQueue: string;
  resource: string;
  flavor?: string;
}

/** Each Kueue ClusterQueue, GPU resource and flavor of the quotas, once. */
export function queueShapes(quotas: NamespaceGpuQuota[]): QueueShape[] {
  const seen = new Map<string, QueueShape>();
  for (const q of quotas) {
    if (q.source !== 'kueue' || !q.clusterQueue) continue;
    for (const r of q.resources) {
      const shape = {
        cluster: q.cluster,
        clusterQueue: q.clusterQueue,
        resource: r.resource,
        ...(r.flavor ? { flavor: r.flavor } : {}),
      };
      seen.set(JSON.stringify(shape), shape);
    }
  }
  return [...seen.values()];
}

type Row = QueueShape & {
  id: string;
  answer?: WaitEstimateResponse;
  error?: string;
};

const columns: TableColumn<Row>[] = [
  { title: 'Cluster', field: 'cluster' },
  { title: 'ClusterQueue', field: 'clusterQueue' },
  {
    title: 'GPU · flavor',
    render: r =>
      `${r.resource.replace(/^nvidia\.com\//, '')}${
        r.flavor ? ` · ${r.flavor}` : ''
      }`,
  },
  {
    title: 'Typical wait (p50)',
    render: r =>
      r.answer?.estimate.status === 'estimated'
        ? formatWait(r.answer.estimate.p50Seconds)
        : '—',
  },
  {
    title: '9 in 10 within (p90)',
    render: r =>
      r.answer?.estimate.status === 'estimated'
        ? formatWait(r.answer.estimate.p90Seconds)
        : '—',
  },
  {
    title: 'Based on',
    render: r => {
      if (r.error) return r.error;
      const e = r.answer?.estimate;
      if (!e) return '';
      if (e.status === 'insufficient') {
        return `Not enough history: ${e.samples} of ${e.minSamples} admissions`;
      }
      return e.source === 'observed'
        ? `${e.samples} admissions, ${e.windowDays} days`
        : `${e.samples} admissions (Kueue metrics, all sizes)`;
    },
  },
  {
    title: 'In line now',
    render: r => {
      const p = r.answer?.position;
      if (!p) return '';
      return p.fitsNow
        ? `room now${p.pendingAhead ? `, ${p.pendingAhead} waiting` : ''}`
        : `would be #${p.positionInClusterQueue + 1}`;
    },
  },
];

/**
 * How long a new workload of a chosen size would wait in each Kueue queue
 * of the shown quotas: p50 and p90 with their sample count, or "not enough
 * history", from the backend's recorded admissions.
 *
 * @public
 */
export function QueueWaitsCard(props: { quotas: NamespaceGpuQuota[] }) {
  const api = useApi(mlApiRef);
  const [gpus, setGpus] = useState(1);
  const shapes = queueShapes(props.quotas);
  const key = JSON.stringify(shapes);
  const { value, loading } = useAsync(
    () =>
      Promise.all(
        shapes.map(async (s): Promise<Row> => {
          const id = `${s.cluster}/${s.clusterQueue}/${s.resource}/${
            s.flavor ?? ''
          }`;
          try {
            const answer = await api.getWaitEstimate({
              cluster: s.cluster,
              queue: s.clusterQueue,
              gpus,
              gpuResource: s.resource,
              ...(s.flavor ? { flavor: s.flavor } : {}),
            });
            return { ...s, id, answer };
          } catch (e) {
            return { ...s, id, error: serverMessage(e) };
          }
        }),
      ),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, key, gpus],
  );
  if (!shapes.length) return null;
  return (
    <InfoCard
      title="When would a new workload start?"
      subheader="Estimated from the admissions the portal observed in each Kueue queue (per flavor and request size). An estimate, never a promise: read the sample count."
      action={
        <TextField
          select
          size="small"
          variant="outlined"
          label="GPUs"
          value={gpus}
          onChange={e => setGpus(Number(e.target.value))}
          SelectProps={{ SelectDisplayProps: { 'aria-label': 'GPUs' } as any }}
        >
          {SIZES.map(n => (
            <MenuItem key={n} value={n}>
              {n}
            </MenuItem>
          ))}
        </TextField>
      }
    >
      {loading && !value ? (
        <Typography variant="body2">Estimating…</Typography>
      ) : (
        <Table<Row>
          options={{
            paging: false,
            search: false,
            toolbar: false,
            padding: 'dense',
          }}
          columns={columns}
          data={value ?? []}
        />
      )}
    </InfoCard>
  );
}
