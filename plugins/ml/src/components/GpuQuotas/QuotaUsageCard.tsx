import { InfoCard } from '@backstage/core-components';
import { Divider, makeStyles, Typography } from '@material-ui/core';
import { NamespaceGpuQuota } from '@mlplatform/plugin-ml-common';
import { GpuGauge } from './GpuGauge';
import { PendingWorkloadsTable } from './PendingWorkloadsTable';

const useStyles = makeStyles(theme => ({
  section: { marginTop: theme.spacing(1) },
  divider: { margin: theme.spacing(1.5, 0, 1) },
}));

/**
 * Where a quota is enforced, e.g. `ResourceQuota gpu-quota` or
 * `ClusterQueue recsys-cq · LocalQueue recsys-lq · cohort gpu-pool`.
 *
 * @public
 */
export function quotaSourceText(quota: NamespaceGpuQuota): string {
  if (quota.source === 'resourcequota') {
    return `ResourceQuota ${quota.name}`;
  }
  return [
    `ClusterQueue ${quota.clusterQueue ?? quota.name}`,
    quota.localQueue && `LocalQueue ${quota.localQueue}`,
    quota.cohort && `cohort ${quota.cohort}`,
  ]
    .filter(Boolean)
    .join(' · ');
}

/**
 * One namespace's GPU quota on one cluster: a gauge per GPU resource and
 * flavor, and the workloads waiting for it.
 *
 * @public
 */
export function QuotaUsageCard(props: {
  quota: NamespaceGpuQuota;
  now?: number;
}) {
  const classes = useStyles();
  const { quota } = props;
  return (
    <InfoCard
      title={`${quota.namespace} on ${quota.cluster}`}
      subheader={quotaSourceText(quota)}
    >
      {quota.resources.length === 0 ? (
        <Typography variant="body2" color="textSecondary">
          This quota sets no GPU resource.
        </Typography>
      ) : (
        quota.resources.map(r => (
          <GpuGauge key={`${r.resource}/${r.flavor ?? ''}`} resource={r} />
        ))
      )}
      <Divider className={classes.divider} />
      <Typography variant="subtitle2" className={classes.section}>
        Pending workloads ({quota.pending.length})
      </Typography>
      <PendingWorkloadsTable pending={quota.pending} now={props.now} />
    </InfoCard>
  );
}
