import { InfoCard, Progress } from '@backstage/core-components';
import {
  CompoundEntityRef,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { EntityRefLink, useEntity } from '@backstage/plugin-catalog-react';
import { Typography } from '@material-ui/core';
import {
  isModelEntity,
  RELATION_PRODUCED_BY,
} from '@mlplatform/plugin-ml-common';
import { MissingFields, WrongKindPanel } from '../EntityCards/common';
import { refsOf } from '../EntityCards/entityRefs';
import { relativeTime } from '../shared/relativeTime';
import { describeTrigger, formatDuration } from './format';
import { RunLinks } from './RunLinks';
import { RunsError } from './RunsError';
import { RunStatusChip } from './RunStatusChip';
import { absoluteTime, usePipelineRuns } from './usePipelineRuns';

function toRef(ref: string | CompoundEntityRef): CompoundEntityRef | undefined {
  if (typeof ref !== 'string') return ref;
  try {
    return parseEntityRef(ref);
  } catch {
    return undefined;
  }
}

/**
 * The latest run of the Pipeline that produces a Model (`spec.producedBy`),
 * with a link to the Pipeline's page (`entity-card:ml/model-latest-run`).
 *
 * @public
 */
export function LatestTrainingRunCard() {
  const { entity } = useEntity();
  const isModel = isModelEntity(entity);
  const [first] = isModel
    ? refsOf(entity, RELATION_PRODUCED_BY, 'producedBy')
    : [];
  const pipeline = first ? toRef(first) : undefined;
  const { value, error } = usePipelineRuns(pipeline, 1);

  if (!isModel) {
    return (
      <InfoCard title="Latest training run">
        <WrongKindPanel expected="Model" />
      </InfoCard>
    );
  }
  if (!pipeline) {
    return (
      <InfoCard title="Latest training run">
        <MissingFields
          title="This model names no pipeline: add spec.producedBy"
          yaml={'spec:\n  producedBy: pipeline:my-model-training'}
        />
      </InfoCard>
    );
  }

  const pipelineLink = (
    <EntityRefLink entityRef={pipeline} defaultKind="pipeline" />
  );
  let content;
  if (error) {
    content = <RunsError error={error} />;
  } else if (!value) {
    content = <Progress />;
  } else if (value.runs.length === 0) {
    content = (
      <Typography variant="body2" color="textSecondary">
        {stringifyEntityRef(pipeline)} has no runs yet.
      </Typography>
    );
  } else {
    const run = value.runs[0];
    const started = run.startedAt ?? run.createdAt;
    content = (
      <div aria-label="Latest run">
        <Typography variant="body1" component="div" gutterBottom>
          <RunStatusChip
            status={run.status}
            rawStatus={run.rawStatus}
            message={run.message}
          />{' '}
          <strong>{run.name ?? run.id}</strong>
        </Typography>
        <Typography variant="body2" title={absoluteTime(started)}>
          Started {relativeTime(started) ?? '—'} ·{' '}
          {describeTrigger(run.trigger)}
          {run.durationSeconds !== undefined &&
            ` · took ${formatDuration(run.durationSeconds)}`}
        </Typography>
        <Typography variant="body2">
          Produced version: {run.producedModelVersion ?? '—'}
        </Typography>
        {run.message && (
          <Typography variant="body2" color="textSecondary">
            {run.message}
          </Typography>
        )}
        {(run.logsUrl || run.uiUrl || run.tensorboardUrl) && (
          <RunLinks run={run} />
        )}
      </div>
    );
  }
  return (
    <InfoCard
      title="Latest training run"
      subheader={<>Pipeline {pipelineLink}</>}
    >
      {content}
    </InfoCard>
  );
}
