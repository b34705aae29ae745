import {
  EmptyState,
  InfoCard,
  Link,
  Progress,
  WarningPanel,
} from '@backstage/core-components';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  Box,
  Button,
  FormControl,
  IconButton,
  InputLabel,
  MenuItem,
  Select,
  Typography,
} from '@material-ui/core';
import RefreshIcon from '@material-ui/icons/Refresh';
import {
  ANNOTATION_MLFLOW_EXPERIMENT,
  EXPERIMENT_LIMITS,
  EXPERIMENT_RUN_STATUSES,
  ExperimentEntityRef,
  ExperimentRun,
  ExperimentRunsRequest,
  ExperimentRunStatus,
  isModelEntity,
  isPipelineEntity,
} from '@mlplatform/plugin-ml-common';
import { useEffect, useMemo, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { mlApiRef } from '../../api';
import { WrongKindPanel } from '../EntityCards/common';
import { serverMessage } from '../shared/errors';
import { CompareRunsDialog } from './CompareRunsDialog';
import { ExperimentRunsTable } from './ExperimentRunsTable';
import { RunTensorBoardDialog } from './RunTensorBoardDialog';

const { minCompare, maxCompare } = EXPERIMENT_LIMITS;

/** `start:desc`, `start:asc`, `metric:desc:val_auc`, ... */
function sortRequest(sort: string): ExperimentRunsRequest {
  const [by, direction, ...metric] = sort.split(':');
  return by === 'metric'
    ? {
        orderBy: 'metric',
        metric: metric.join(':'),
        direction: direction as 'asc' | 'desc',
      }
    : { orderBy: 'start', direction: direction as 'asc' | 'desc' };
}

function ExperimentError(props: { error: Error }) {
  const message = serverMessage(props.error);
  const status = (props.error as { statusCode?: number }).statusCode;
  if (status === 404 && /experiment/i.test(message)) {
    return (
      <WarningPanel
        severity="warning"
        title="Experiment not found in MLflow"
        message={
          <>
            {message}. Check the name in the {ANNOTATION_MLFLOW_EXPERIMENT}{' '}
            annotation: it must be the experiment's name as MLflow shows it.
          </>
        }
      />
    );
  }
  return (
    <WarningPanel
      severity={status === 503 ? 'warning' : 'error'}
      title={
        status === 503
          ? 'MLflow did not answer'
          : "Could not read the experiment's runs"
      }
      message={message}
    />
  );
}

/**
 * Runs of the MLflow experiment a Model or a Pipeline names
 * (`entity-card:ml/experiment-runs`): status, start, duration, user, git
 * commit, the parameters a search varied, the latest metrics and links to
 * MLflow, filtered by status and sorted by start or a metric; pick 2-5 runs
 * and "Compare" overlays their metric histories and diffs their parameters;
 * a run that wrote TensorBoard event files shows their scalars and opens
 * TensorBoard.
 *
 * @public
 */
export function ExperimentRunsCard() {
  const { entity } = useEntity();
  const api = useApi(mlApiRef);
  const supported = isModelEntity(entity) || isPipelineEntity(entity);
  const compound = getCompoundEntityRef(entity);
  const ref: ExperimentEntityRef = {
    kind: compound.kind.toLocaleLowerCase('en-US') as 'model' | 'pipeline',
    namespace: compound.namespace,
    name: compound.name,
  };
  const [status, setStatus] = useState<ExperimentRunStatus | ''>('');
  const [sort, setSort] = useState('start:desc');
  const [selected, setSelected] = useState<string[]>([]);
  const [comparing, setComparing] = useState(false);
  const [tensorboardRun, setTensorboardRun] = useState<ExperimentRun>();
  const [seenMetrics, setSeenMetrics] = useState<string[]>([]);
  const { kind, namespace, name } = ref;

  const { value, loading, error, retry } = useAsyncRetry(async () => {
    if (!supported) return undefined;
    return api.getExperimentRuns(
      { kind, namespace, name },
      { ...sortRequest(sort), ...(status ? { status } : {}) },
    );
  }, [api, supported, kind, namespace, name, sort, status]);

  // Keep every metric seen, so the "sort by" options survive a filter.
  const metricNames = value?.configured ? value.metricNames : undefined;
  useEffect(() => {
    if (metricNames?.length) {
      setSeenMetrics(prev => [...new Set([...prev, ...metricNames])].sort());
    }
  }, [metricNames]);

  const sortOptions = useMemo(
    () => [
      { value: 'start:desc', label: 'Newest first' },
      { value: 'start:asc', label: 'Oldest first' },
      ...seenMetrics.flatMap(m => [
        { value: `metric:desc:${m}`, label: `${m}, highest first` },
        { value: `metric:asc:${m}`, label: `${m}, lowest first` },
      ]),
    ],
    [seenMetrics],
  );

  if (!supported) {
    return (
      <InfoCard title="Experiment runs">
        <WrongKindPanel expected="Model or Pipeline" />
      </InfoCard>
    );
  }

  const toggle = (runId: string) =>
    setSelected(prev =>
      prev.includes(runId)
        ? prev.filter(id => id !== runId)
        : [...prev, runId].slice(0, maxCompare),
    );
  const canCompare =
    selected.length >= minCompare && selected.length <= maxCompare;

  let content;
  if (error) {
    content = <ExperimentError error={error} />;
  } else if (!value) {
    content = <Progress />;
  } else if (!value.configured) {
    content = (
      <WarningPanel
        severity="info"
        title="No MLflow experiment for this entity"
        message={
          <>
            {value.reason}. See docs/experiments.md, for example:{' '}
            <code>
              metadata.annotations: {'{'} {ANNOTATION_MLFLOW_EXPERIMENT}: {name}{' '}
              {'}'}
            </code>
          </>
        }
      />
    );
  } else {
    const controls = (
      <Box display="flex" alignItems="flex-end" flexWrap="wrap" mb={1}>
        <FormControl size="small" style={{ minWidth: 140, marginRight: 16 }}>
          <InputLabel id="experiment-status-label">Status</InputLabel>
          <Select
            labelId="experiment-status-label"
            value={status}
            onChange={e => setStatus(e.target.value as ExperimentRunStatus)}
          >
            <MenuItem value="">All</MenuItem>
            {EXPERIMENT_RUN_STATUSES.map(s => (
              <MenuItem key={s} value={s}>
                {s[0].toUpperCase() + s.slice(1)}
              </MenuItem>
            ))}
          </Select>
        </FormControl>
        <FormControl size="small" style={{ minWidth: 200, marginRight: 16 }}>
          <InputLabel id="experiment-sort-label">Sort</InputLabel>
          <Select
            labelId="experiment-sort-label"
            value={sort}
            onChange={e => setSort(e.target.value as string)}
          >
            {sortOptions.map(o => (
              <MenuItem key={o.value} value={o.value}>
                {o.label}
              </MenuItem>
            ))}
          </Select>
        </FormControl>
        <Box flexGrow={1} />
        <Typography
          variant="caption"
          color="textSecondary"
          style={{ marginRight: 8 }}
        >
          {selected.length
            ? `${selected.length} of at most ${maxCompare} picked`
            : `Pick ${minCompare}–${maxCompare} runs to compare`}
        </Typography>
        <Button
          variant="contained"
          color="primary"
          size="small"
          disabled={!canCompare}
          onClick={() => setComparing(true)}
        >
          Compare{selected.length ? ` (${selected.length})` : ''}
        </Button>
      </Box>
    );
    content = (
      <>
        {controls}
        {loading && <Progress />}
        {value.runs.length === 0 ? (
          <EmptyState
            missing="data"
            title={status ? `No ${status} runs` : 'No runs yet'}
            description={
              status
                ? 'Choose another status to see the other runs.'
                : `Experiment "${value.experiment.name}" has no runs. Training code logs them with mlflow.start_run() and MLFLOW_TRACKING_URI pointing at this MLflow.`
            }
          />
        ) : (
          <ExperimentRunsTable
            runs={value.runs}
            keyParams={value.keyParams}
            metricNames={value.metricNames}
            selected={selected}
            onToggle={toggle}
            onTensorBoard={setTensorboardRun}
          />
        )}
      </>
    );
  }

  const experiment = value?.configured ? value.experiment : undefined;
  return (
    <InfoCard
      title="Experiment runs"
      subheader={
        experiment ? (
          <>
            MLflow "{experiment.registry}" · experiment{' '}
            <Link to={experiment.url}>{experiment.name}</Link>
          </>
        ) : undefined
      }
      action={
        <IconButton
          aria-label="Refresh experiment runs"
          size="small"
          onClick={retry}
          disabled={loading}
        >
          <RefreshIcon fontSize="small" />
        </IconButton>
      }
    >
      {content}
      {comparing && (
        <CompareRunsDialog
          entity={ref}
          runIds={selected}
          onClose={() => setComparing(false)}
        />
      )}
      {tensorboardRun && (
        <RunTensorBoardDialog
          entity={ref}
          run={tensorboardRun}
          onClose={() => setTensorboardRun(undefined)}
        />
      )}
    </InfoCard>
  );
}
