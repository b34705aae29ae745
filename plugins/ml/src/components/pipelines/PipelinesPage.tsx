import {
  Content,
  ContentHeader,
  EmptyState,
  InfoCard,
  SupportButton,
  Progress,
  WarningPanel,
} from '@backstage/core-components';
import {
  DEFAULT_NAMESPACE,
  Entity,
  getCompoundEntityRef,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { catalogApiRef, EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Tooltip,
  Typography,
} from '@material-ui/core';
import {
  PipelineOrchestrator,
  PipelineRunsResponse,
} from '@mlplatform/plugin-ml-common';
import { useMemo } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { mlApiRef } from '../../api';
import { serverMessage } from '../shared/errors';
import { relativeTime } from '../shared/relativeTime';
import {
  describeNextRun,
  describeOrchestrator,
  describeSchedule,
} from './format';
import { createLimiter } from './limiter';
import { RunStatusChip } from './RunStatusChip';
import { absoluteTime } from './usePipelineRuns';

/** The owner as a link to its entity; a plain name means a Group. */
function OwnerLink(props: { owner?: string; namespace?: string }) {
  if (!props.owner) return <>—</>;
  try {
    const ref = parseEntityRef(props.owner, {
      defaultKind: 'group',
      defaultNamespace: props.namespace ?? DEFAULT_NAMESPACE,
    });
    return <EntityRefLink entityRef={ref} defaultKind="group" />;
  } catch {
    return <>{props.owner}</>;
  }
}

/** How many rows ask the backend for their latest run at once. */
const CONCURRENT_RUN_REQUESTS = 6;

type Limit = ReturnType<typeof createLimiter>;

function LatestRunCells(props: { entity: Entity; limit: Limit }) {
  const api = useApi(mlApiRef);
  const { namespace, name } = getCompoundEntityRef(props.entity);
  const { limit } = props;
  const { value, loading, error } = useAsync(
    () => limit(() => api.getPipelineRuns({ namespace, name }, { limit: 1 })),
    [api, namespace, name, limit],
  );
  const schedule = props.entity.spec?.schedule as string | undefined;
  return (
    <>
      <TableCell>
        {schedule ? describeSchedule(schedule) : 'on demand'}
        {value?.nextRunAt && (
          <Typography variant="caption" display="block">
            {describeNextRun(value.nextRunAt)}
          </Typography>
        )}
      </TableCell>
      <TableCell>
        <LatestRun value={value} loading={loading} error={error} />
      </TableCell>
    </>
  );
}

function LatestRun(props: {
  value?: PipelineRunsResponse;
  loading: boolean;
  error?: Error;
}) {
  if (props.loading) {
    return <Typography variant="caption">checking…</Typography>;
  }
  if (props.error) {
    return (
      <Typography variant="caption" color="error">
        {serverMessage(props.error)}
      </Typography>
    );
  }
  const run = props.value?.runs[0];
  if (!run) {
    return (
      <Typography variant="caption" color="textSecondary">
        no runs yet
      </Typography>
    );
  }
  const started = run.startedAt ?? run.createdAt;
  return (
    <>
      <RunStatusChip
        status={run.status}
        rawStatus={run.rawStatus}
        message={run.message}
      />{' '}
      <Tooltip title={absoluteTime(started)}>
        <Typography variant="caption">{relativeTime(started) ?? ''}</Typography>
      </Tooltip>
    </>
  );
}

/**
 * Every Pipeline in the catalog with its owner, type, orchestrator, schedule,
 * next run and latest run status (`sub-page:ml/pipelines`, `/ml/pipelines`).
 * Each row asks for its latest run on its own, a few at a time.
 *
 * @public
 */
export function PipelinesPage() {
  const catalogApi = useApi(catalogApiRef);
  const limit = useMemo(() => createLimiter(CONCURRENT_RUN_REQUESTS), []);
  const { value, loading, error } = useAsync(
    () =>
      catalogApi.getEntities({
        filter: { kind: 'Pipeline' },
        fields: [
          'apiVersion',
          'kind',
          'metadata.name',
          'metadata.namespace',
          'metadata.title',
          'spec.owner',
          'spec.type',
          'spec.orchestrator',
          'spec.schedule',
        ],
      }),
    [catalogApi],
  );

  let content;
  if (loading) {
    content = <Progress />;
  } else if (error) {
    content = (
      <WarningPanel
        severity="error"
        title="Could not list the pipelines"
        message={serverMessage(error)}
      />
    );
  } else {
    const pipelines = [...(value?.items ?? [])].sort((a, b) =>
      stringifyEntityRef(a).localeCompare(stringifyEntityRef(b)),
    );
    content =
      pipelines.length === 0 ? (
        <EmptyState
          missing="content"
          title="No pipelines in the catalog"
          description="Register a catalog-info.yaml with a kind: Pipeline entity (see docs/entities.md), or create an ML project from its template."
        />
      ) : (
        <Table size="small" aria-label="Pipelines">
          <TableHead>
            <TableRow>
              <TableCell>Pipeline</TableCell>
              <TableCell>Owner</TableCell>
              <TableCell>Type</TableCell>
              <TableCell>Orchestrator</TableCell>
              <TableCell>Schedule</TableCell>
              <TableCell>Latest run</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {pipelines.map(entity => {
              const orchestrator = entity.spec?.orchestrator as
                | PipelineOrchestrator
                | undefined;
              const owner = entity.spec?.owner as string | undefined;
              return (
                <TableRow key={stringifyEntityRef(entity)}>
                  <TableCell>
                    <EntityRefLink entityRef={entity} />
                  </TableCell>
                  <TableCell>
                    <OwnerLink
                      owner={owner}
                      namespace={entity.metadata.namespace}
                    />
                  </TableCell>
                  <TableCell>{String(entity.spec?.type ?? '—')}</TableCell>
                  <TableCell>
                    {orchestrator ? describeOrchestrator(orchestrator) : '—'}
                  </TableCell>
                  <LatestRunCells entity={entity} limit={limit} />
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      );
  }
  return (
    <Content>
      <ContentHeader title="Pipelines">
        <SupportButton>
          Pipelines of the catalog (kind Pipeline) with the latest run from
          their orchestrator: Kubernetes Jobs, Argo Workflows, Kubeflow
          Pipelines or Airflow. Open one to see its runs and start a new one.
        </SupportButton>
      </ContentHeader>
      <InfoCard>{content}</InfoCard>
    </Content>
  );
}
