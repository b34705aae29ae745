import { Grid } from '@material-ui/core';
import { GpuQuotasResponse } from '@mlplatform/plugin-ml-common';
import { useSearchParams } from 'react-router-dom';
import { GpuHoursCard } from './GpuHoursCard';
import { QueueHistoryCard } from './QueueHistoryCard';
import { QueueWaitsCard } from './QueueWaitsCard';

/**
 * The GPU quota page's wait estimates, queue history and GPU-hours, for the team and
 * cluster its filters choose.
 *
 * @public
 */
export function QueueInsights(props: { data: GpuQuotasResponse }) {
  const [params] = useSearchParams();
  const team = params.get('team') ?? undefined;
  const cluster = params.get('cluster') ?? undefined;
  const quotas = props.data.quotas.filter(
    q => (!team || q.team === team) && (!cluster || q.cluster === cluster),
  );
  return (
    <Grid container spacing={2} style={{ marginTop: 16 }}>
      <Grid item xs={12}>
        <QueueWaitsCard quotas={quotas} />
      </Grid>
      <Grid item xs={12}>
        <QueueHistoryCard quotas={quotas} />
      </Grid>
      <Grid item xs={12}>
        <GpuHoursCard team={team} cluster={cluster} />
      </Grid>
    </Grid>
  );
}
