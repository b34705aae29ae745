import { EmptyState, Progress, WarningPanel } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Grid,
  Typography,
} from '@material-ui/core';
import OpenInNewIcon from '@material-ui/icons/OpenInNew';
import {
  ComparedMetric,
  ExperimentEntityRef,
  ExperimentRun,
  RunTensorBoardLaunch,
  TensorBoardScalarSeries,
  TENSORBOARD_LIMITS,
} from '@mlplatform/plugin-ml-common';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { mlApiRef } from '../../api';
import { serverMessage } from '../shared/errors';
import { RUN_COLORS } from './format';
import { MetricHistoryChart } from './MetricHistoryChart';

/** One chart per tag, one line per directory of event files (train, eval). */
export function chartsByTag(scalars: TensorBoardScalarSeries[]) {
  const dirs = [...new Set(scalars.map(s => s.dir))].sort();
  const tags = [...new Set(scalars.map(s => s.tag))].sort();
  const metrics: ComparedMetric[] = tags.map(tag => ({
    name: tag,
    histories: Object.fromEntries(
      scalars
        .filter(s => s.tag === tag)
        .map(s => [
          s.dir,
          s.points.map(p => ({
            step: p.step,
            timestamp: p.wallTime,
            value: p.value,
          })),
        ]),
    ),
  }));
  const lines = dirs.map(dir => ({
    id: dir,
    name: dir === '.' ? 'run' : dir,
  }));
  const colors = Object.fromEntries(
    dirs.map((dir, i) => [dir, RUN_COLORS[i % RUN_COLORS.length]]),
  );
  return { metrics, lines, colors };
}

function TensorBoardError(props: { error: Error }) {
  const message = serverMessage(props.error);
  const status = (props.error as { statusCode?: number }).statusCode;
  const titles: Record<number, string> = {
    400: 'TensorBoard refused for this run',
    404: 'Run not found',
    503: 'TensorBoard did not answer',
  };
  return (
    <WarningPanel
      severity={status === 503 ? 'warning' : 'error'}
      title={titles[status ?? 0] ?? "Could not read the run's TensorBoard"}
      message={message}
    />
  );
}

/** "in fraud on gpu-cluster-a", or "on localhost" for a local process. */
function where(launch: RunTensorBoardLaunch): string {
  return `${launch.namespace ? `in ${launch.namespace} ` : ''}on ${
    launch.cluster
  }`;
}

/**
 * The run's own TensorBoard on the cluster, once asked for, with a Stop
 * button for the user who started it (the backend refuses anyone else).
 */
function ClusterTensorBoard(props: {
  launch?: RunTensorBoardLaunch;
  error?: Error;
  onStop: () => void;
  stop: { loading: boolean; error?: Error; done: boolean };
}) {
  const { launch, error, onStop, stop } = props;
  if (error) {
    return (
      <WarningPanel
        severity="error"
        title="Could not start the run's TensorBoard on the cluster"
        message={serverMessage(error)}
      />
    );
  }
  if (!launch) return null;
  if (stop.done) {
    return (
      <Typography variant="body2" role="status">
        TensorBoard <code>{launch.name}</code> {where(launch)} stopped.
      </Typography>
    );
  }
  return (
    <>
      <Typography variant="body2" role="status">
        TensorBoard <code>{launch.name}</code> {where(launch)}{' '}
        {launch.created ? 'created' : 'already there'};{' '}
        {launch.ready
          ? 'ready'
          : 'starting (the page answers once it is ready)'}
        :{' '}
        <a href={launch.url} target="_blank" rel="noopener noreferrer">
          open it
        </a>{' '}
        <Button
          size="small"
          variant="outlined"
          disabled={stop.loading}
          onClick={onStop}
          aria-label={`Stop TensorBoard ${launch.name}`}
        >
          Stop
        </Button>
      </Typography>
      {stop.error && (
        <WarningPanel
          severity="error"
          title="Could not stop the run's TensorBoard"
          message={serverMessage(stop.error)}
        />
      )}
    </>
  );
}

/**
 * A run's TensorBoard: its scalars as charts (one per tag, a line per
 * directory of event files, step on x), read through the ML backend from
 * TensorBoard's data API, "Open TensorBoard" on the run, and, with
 * `ml.tensorboard.kubeflow`, "Start on <cluster>": the run's own TensorBoard,
 * which its creator can stop again.
 */
export function RunTensorBoardDialog(props: {
  entity: ExperimentEntityRef;
  run: ExperimentRun;
  onClose: () => void;
}) {
  const { entity, run, onClose } = props;
  const api = useApi(mlApiRef);
  const { kind, namespace, name } = entity;
  const { value, loading, error } = useAsync(
    () => api.getRunTensorBoard({ kind, namespace, name }, run.id),
    [api, kind, namespace, name, run.id],
  );
  const label = run.name ?? run.id;
  const [started, start] = useAsyncFn(
    () => api.startRunTensorBoard({ kind, namespace, name }, run.id),
    [api, kind, namespace, name, run.id],
  );
  const [asked, setAsked] = useState(false);
  const [stopped, stop] = useAsyncFn(async () => {
    await api.stopRunTensorBoard({ kind, namespace, name }, run.id);
    return true;
  }, [api, kind, namespace, name, run.id]);
  // A start after a stop shows the new TensorBoard, not the stopped one.
  const [stopAsked, setStopAsked] = useState(false);

  let content;
  if (error) {
    content = <TensorBoardError error={error} />;
  } else if (loading || !value) {
    content = <Progress />;
  } else if (!value.configured) {
    content = (
      <WarningPanel
        severity="info"
        title="No TensorBoard for this run"
        message={value.reason}
      />
    );
  } else if (value.scalars.length === 0) {
    content = (
      <EmptyState
        missing="data"
        title="No scalars yet"
        description={`TensorBoard has no scalar events under ${value.logDir} yet; a running training writes them per epoch.`}
      />
    );
  } else {
    const { metrics, lines, colors } = chartsByTag(value.scalars);
    content = (
      <>
        <Typography variant="body2" color="textSecondary" gutterBottom>
          Event files in <code>{value.logDir}</code>
          {value.truncated &&
            ` · the first ${TENSORBOARD_LIMITS.maxSeries} series; TensorBoard shows all`}
        </Typography>
        <Grid container spacing={2}>
          {metrics.map(metric => (
            <Grid item xs={12} md={6} key={metric.name}>
              <MetricHistoryChart
                metric={metric}
                runs={lines}
                colors={colors}
              />
            </Grid>
          ))}
        </Grid>
      </>
    );
  }

  const url = value?.configured ? value.url : undefined;
  const cluster = value?.configured ? value.cluster : undefined;
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="lg">
      <DialogTitle>TensorBoard of {label}</DialogTitle>
      <DialogContent dividers>
        {content}
        {asked && !started.loading && (
          <ClusterTensorBoard
            launch={started.value}
            error={started.error}
            onStop={() => {
              setStopAsked(true);
              stop();
            }}
            stop={{
              loading: stopped.loading,
              error: stopAsked ? stopped.error : undefined,
              done: stopAsked && !stopped.loading && stopped.value === true,
            }}
          />
        )}
      </DialogContent>
      <DialogActions>
        {cluster && (
          <Button
            disabled={started.loading}
            onClick={() => {
              setAsked(true);
              setStopAsked(false);
              start();
            }}
          >
            Start on {cluster}
          </Button>
        )}
        {url && (
          <Button
            href={url}
            target="_blank"
            rel="noopener noreferrer"
            color="primary"
            variant="contained"
            endIcon={<OpenInNewIcon fontSize="small" />}
          >
            Open TensorBoard
          </Button>
        )}
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
