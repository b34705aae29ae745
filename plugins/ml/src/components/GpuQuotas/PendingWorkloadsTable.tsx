import {
  makeStyles,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import { PendingWorkload } from '@mlplatform/plugin-ml-common';
import { relativeTime } from '../shared/relativeTime';

const useStyles = makeStyles(theme => ({
  message: { minWidth: 200, wordBreak: 'break-word' },
  workload: { minWidth: 160, wordBreak: 'break-all' },
  reason: { fontFamily: 'monospace', fontSize: '0.75rem' },
  plain: { fontWeight: theme.typography.fontWeightMedium as number },
  nowrap: { whiteSpace: 'nowrap' },
  none: { padding: theme.spacing(1, 0) },
}));

/** "next" or "3 ahead", with the workloads of its own team's queue when they differ. */
function Place(props: { workload: PendingWorkload }) {
  const cq = props.workload.positionInClusterQueue;
  const lq = props.workload.positionInLocalQueue;
  if (cq === undefined) return <>—</>;
  return (
    <>
      <Typography variant="body2">
        {cq === 0 ? 'next' : `${cq} ahead`}
      </Typography>
      {lq !== undefined && lq !== cq && (
        <Typography variant="caption" color="textSecondary">
          {lq} from its team's queue
        </Typography>
      )}
    </>
  );
}

function gpuRequest(gpus: Record<string, number>): string {
  const entries = Object.entries(gpus);
  if (entries.length === 0) return '—';
  return entries.map(([resource, n]) => `${n} × ${resource}`).join(', ');
}

/**
 * Workloads waiting for GPUs in one quota, in the order Kueue will admit
 * them when its visibility API gave their places, with the reason in plain
 * words above the one Kueue or the ResourceQuota admission gave, and how
 * long they have waited.
 *
 * @public
 */
export function PendingWorkloadsTable(props: {
  pending: PendingWorkload[];
  now?: number;
}) {
  const classes = useStyles();
  if (props.pending.length === 0) {
    return (
      <Typography
        variant="body2"
        color="textSecondary"
        className={classes.none}
      >
        No workloads waiting for GPUs.
      </Typography>
    );
  }
  return (
    <Table size="small" aria-label="Pending workloads">
      <TableHead>
        <TableRow>
          <TableCell>Workload</TableCell>
          <TableCell>Queue</TableCell>
          <TableCell>Place in line</TableCell>
          <TableCell>GPUs asked</TableCell>
          <TableCell>Reason</TableCell>
          <TableCell>Waiting since</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {props.pending.map(w => (
          <TableRow key={`${w.kind}/${w.namespace}/${w.name}`}>
            <TableCell className={classes.workload}>
              <Typography variant="body2">{w.name}</Typography>
              <Typography variant="caption" color="textSecondary">
                {w.kind}
              </Typography>
            </TableCell>
            <TableCell className={classes.nowrap}>{w.queue ?? '—'}</TableCell>
            <TableCell className={classes.nowrap}>
              <Place workload={w} />
            </TableCell>
            <TableCell className={classes.nowrap}>
              {gpuRequest(w.gpus)}
            </TableCell>
            <TableCell className={classes.message}>
              {w.explanation && (
                <Typography variant="body2" className={classes.plain}>
                  {w.explanation}
                </Typography>
              )}
              <span className={classes.reason}>{w.reason}</span>
              {w.kueueReason && (
                <span className={classes.reason}> · {w.kueueReason}</span>
              )}
              <Typography
                variant={w.explanation ? 'caption' : 'body2'}
                color={w.explanation ? 'textSecondary' : 'initial'}
                component="div"
              >
                {w.message}
              </Typography>
            </TableCell>
            <TableCell className={classes.nowrap} title={w.since}>
              {relativeTime(w.since, props.now) ?? '—'}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
