import { EmptyState, InfoCard, Progress } from '@backstage/core-components';
import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  Box,
  Button,
  IconButton,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Tooltip,
  Typography,
} from '@material-ui/core';
import {
  isPipelineEntity,
  mlPipelineRunPermission,
  PipelineRun,
  PipelineRunsResponse,
} from '@mlplatform/plugin-ml-common';
import RefreshIcon from '@material-ui/icons/Refresh';
import { useState } from 'react';
import { mlApiRef } from '../../api';
import { WrongKindPanel } from '../EntityCards/common';
import { relativeTime } from '../shared/relativeTime';
import {
  describeNextRun,
  describeOrchestrator,
  describeSchedule,
  describeTrigger,
  formatDuration,
} from './format';
import { RunDurationChart } from './RunDurationChart';
import { RunLinks } from './RunLinks';
import { RunsError } from './RunsError';
import { RunStatusChip } from './RunStatusChip';
import { StartRunDialog } from './StartRunDialog';
import { absoluteTime, usePipelineRuns } from './usePipelineRuns';
import { oneLine, wholeWords } from '../shared/tableCells';

const RUNS_LIMIT = 20;

function Parameters(props: { parameters: Record<string, string> }) {
  const entries = Object.entries(props.parameters);
  if (entries.length === 0) return <>—</>;
  return (
    <>
      {entries.map(([k, v]) => (
        <Typography key={k} variant="body2" style={{ whiteSpace: 'nowrap' }}>
          {k}={v}
        </Typography>
      ))}
    </>
  );
}

function RunsTable(props: { runs: PipelineRun[] }) {
  return (
    <Box style={{ overflowX: 'auto' }}>
      <Table size="small" aria-label="Runs" style={{ minWidth: 960 }}>
        <TableHead>
          <TableRow>
            <TableCell style={oneLine}>Status</TableCell>
            <TableCell style={oneLine}>Run</TableCell>
            <TableCell style={oneLine}>Started</TableCell>
            <TableCell style={oneLine}>Duration</TableCell>
            <TableCell style={oneLine}>Trigger</TableCell>
            <TableCell style={oneLine}>Parameters</TableCell>
            <TableCell style={oneLine}>Model version</TableCell>
            <TableCell style={oneLine}>Links</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {props.runs.map(run => {
            const started = run.startedAt ?? run.createdAt;
            return (
              <TableRow key={run.id}>
                <TableCell style={oneLine}>
                  <RunStatusChip
                    status={run.status}
                    rawStatus={run.rawStatus}
                    message={run.message}
                  />
                </TableCell>
                <TableCell
                  style={{ ...wholeWords, minWidth: 220, maxWidth: 380 }}
                >
                  <strong style={{ overflowWrap: 'anywhere' }}>
                    {run.name ?? run.id}
                  </strong>
                  {run.message && (
                    <Typography variant="caption" display="block">
                      {run.message}
                    </Typography>
                  )}
                </TableCell>
                <TableCell style={oneLine}>
                  <Tooltip title={absoluteTime(started)}>
                    <span>{relativeTime(started) ?? '—'}</span>
                  </Tooltip>
                </TableCell>
                <TableCell style={oneLine}>
                  {formatDuration(run.durationSeconds) ?? '—'}
                </TableCell>
                <TableCell style={{ ...wholeWords, minWidth: 120 }}>
                  {describeTrigger(run.trigger)}
                </TableCell>
                <TableCell style={{ ...wholeWords, minWidth: 160 }}>
                  <Parameters parameters={run.parameters} />
                </TableCell>
                <TableCell style={oneLine}>
                  {run.producedModelVersion ?? '—'}
                </TableCell>
                <TableCell style={oneLine}>
                  <RunLinks run={run} />
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </Box>
  );
}

/** `argo fraud-training (gpu-cluster-a / fraud) · every day at 03:00 UTC · next run in 5 h (Tue 03:00 UTC)`. */
function subheader(
  orchestrator: PipelineRunsResponse['orchestrator'],
  schedule: string | undefined,
  nextRunAt: string | undefined,
): string {
  return [
    describeOrchestrator(orchestrator),
    schedule ? describeSchedule(schedule) : 'on demand',
    describeNextRun(nextRunAt),
  ]
    .filter(Boolean)
    .join(' · ');
}

/**
 * Recent runs of a Pipeline from its orchestrator
 * (`entity-card:ml/pipeline-runs`): status, start, duration, trigger,
 * parameters, produced model version and links, a duration chart, the
 * schedule with the next run, and "Start run".
 *
 * @public
 */
export function PipelineRunsCard() {
  const { entity } = useEntity();
  const api = useApi(mlApiRef);
  const isPipeline = isPipelineEntity(entity);
  const ref = getCompoundEntityRef(entity);
  const entityRef = stringifyEntityRef(entity);
  const { allowed: mayRun, loading: permissionLoading } = usePermission({
    permission: mlPipelineRunPermission,
    resourceRef: entityRef,
  });
  const [starting, setStarting] = useState(false);
  const { value, loading, error, retry } = usePipelineRuns(
    isPipeline ? ref : undefined,
    RUNS_LIMIT,
  );

  if (!isPipelineEntity(entity)) {
    return (
      <InfoCard title="Runs">
        <WrongKindPanel expected="Pipeline" />
      </InfoCard>
    );
  }
  const title = entity.metadata.title ?? entity.metadata.name;

  const startButton = (
    <Tooltip
      title={
        !mayRun && !permissionLoading
          ? `You are not allowed to start runs of ${entityRef}`
          : ''
      }
    >
      <span>
        <Button
          variant="contained"
          color="primary"
          size="small"
          disabled={!mayRun}
          onClick={() => setStarting(true)}
        >
          Start run
        </Button>
      </span>
    </Tooltip>
  );

  const actions = (
    <Box display="flex" alignItems="center">
      <IconButton
        aria-label="Refresh runs"
        size="small"
        onClick={retry}
        disabled={loading}
      >
        <RefreshIcon fontSize="small" />
      </IconButton>
      {startButton}
    </Box>
  );

  let content;
  if (error) {
    content = <RunsError error={error} />;
  } else if (!value) {
    content = <Progress />;
  } else if (value.runs.length === 0) {
    content = (
      <EmptyState
        missing="data"
        title="No runs yet"
        description={
          value.nextRunAt
            ? `The orchestrator has no runs of this pipeline; the schedule starts the first one (${describeNextRun(
                value.nextRunAt,
              )}), or start one now.`
            : 'The orchestrator has no runs of this pipeline. Start one with "Start run".'
        }
      />
    );
  } else {
    content = (
      <>
        {loading && <Progress />}
        <RunDurationChart runs={value.runs} />
        <RunsTable runs={value.runs} />
      </>
    );
  }

  return (
    <InfoCard
      title="Runs"
      subheader={subheader(
        value?.orchestrator ?? entity.spec.orchestrator,
        value?.schedule ?? entity.spec.schedule,
        value?.nextRunAt,
      )}
      action={actions}
    >
      {content}
      {starting && (
        <StartRunDialog
          pipelineTitle={title}
          lastParameters={value?.runs[0]?.parameters}
          onStart={async parameters => {
            const { run } = await api.startPipelineRun(
              { namespace: ref.namespace, name: ref.name },
              { parameters },
            );
            retry();
            return run;
          }}
          onClose={() => setStarting(false)}
        />
      )}
    </InfoCard>
  );
}
