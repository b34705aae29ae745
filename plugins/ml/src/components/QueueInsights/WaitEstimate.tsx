import { useApi } from '@backstage/frontend-plugin-api';
import { Box, makeStyles, Typography } from '@material-ui/core';
import {
  formatWait,
  WaitEstimateQuery,
  WaitEstimateResponse,
} from '@mlplatform/plugin-ml-common';
import useAsync from 'react-use/esm/useAsync';
import { mlApiRef } from '../../api';
import { serverMessage } from '../shared/errors';

const useStyles = makeStyles(theme => ({
  box: {
    padding: theme.spacing(1, 1.5),
    borderLeft: `3px solid ${theme.palette.info.main}`,
    background: theme.palette.background.default,
  },
}));

/** Where the workload would stand, in words. */
export function positionText(answer: WaitEstimateResponse): string {
  const p = answer.position;
  if (!p) return '';
  if (p.fitsNow) {
    return p.pendingAhead
      ? `The quota has room for it now (${p.pendingAhead} other workload${
          p.pendingAhead === 1 ? '' : 's'
        } already wait in ${answer.clusterQueue}).`
      : `The quota has room for it now; nothing waits in ${answer.clusterQueue}.`;
  }
  return `It would be number ${p.positionInClusterQueue + 1} in ${
    answer.clusterQueue
  }: ${p.pendingAhead} workload${
    p.pendingAhead === 1 ? '' : 's'
  } at the same priority ahead of it${
    p.fromVisibilityApi
      ? ''
      : ' (Kueue did not give positions; counted from the quota)'
  }.`;
}

function situationText(situation?: 'room-now' | 'must-queue'): string {
  if (situation === 'room-now') return ' that, like this one, found room';
  if (situation === 'must-queue') return ' that, like this one, had to queue';
  return '';
}

/** The estimate in words: typical and 90th-percentile wait with its evidence. */
export function estimateText(answer: WaitEstimateResponse): {
  headline: string;
  evidence: string;
} {
  const e = answer.estimate;
  const shape = `${answer.sizeBucket}${
    answer.flavor ? ` of ${answer.flavor}` : ''
  }`;
  if (e.status === 'insufficient') {
    return {
      headline: `Not enough history to estimate the wait for ${shape}.`,
      evidence: `${e.samples} of the ${e.minSamples} admissions an estimate needs.`,
    };
  }
  return {
    headline: `Typical wait ${formatWait(
      e.p50Seconds,
    )}; 9 in 10 start within ${formatWait(e.p90Seconds)}.`,
    evidence:
      e.source === 'observed'
        ? `From ${e.samples} admissions of ${shape} in ${
            answer.clusterQueue
          }${situationText(e.situation)} over the last ${
            e.windowDays
          } days. An estimate, not a promise.`
        : `From Kueue's wait metrics for all of ${answer.clusterQueue} (${e.samples} admissions, every size) over ${e.windowDays} days. An estimate, not a promise.`,
  };
}

/**
 * How long a Kueue workload of this shape would wait before it starts, and
 * the place it would take in its queue, fetched for `query`.
 *
 * @public
 */
export function WaitEstimateNote(props: { query: WaitEstimateQuery }) {
  const classes = useStyles();
  const api = useApi(mlApiRef);
  const key = JSON.stringify(props.query);
  const { value, loading, error } = useAsync(
    () => api.getWaitEstimate(props.query),
    // the query object is new on every render; its content is the key
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, key],
  );
  let body;
  if (loading) {
    body = <Typography variant="body2">Estimating the wait…</Typography>;
  } else if (error) {
    body = (
      <Typography variant="body2" color="textSecondary">
        No wait estimate: {serverMessage(error)}
      </Typography>
    );
  } else if (value) {
    const { headline, evidence } = estimateText(value);
    body = (
      <>
        <Typography variant="body2">
          <strong>{headline}</strong> {positionText(value)}
        </Typography>
        <Typography variant="caption" color="textSecondary">
          {evidence}
        </Typography>
      </>
    );
  }
  return (
    <Box className={classes.box} role="status" aria-label="Wait estimate">
      {body}
    </Box>
  );
}
