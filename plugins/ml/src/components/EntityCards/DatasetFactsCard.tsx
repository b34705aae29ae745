import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { Box, Chip, Typography } from '@material-ui/core';
import CheckCircleIcon from '@material-ui/icons/CheckCircle';
import HelpIcon from '@material-ui/icons/Help';
import WarningIcon from '@material-ui/icons/Warning';
import {
  DatasetFactsResponse,
  DatasetFreshnessVerdict,
  DatasetLocationFacts,
  isDatasetEntity,
} from '@mlplatform/plugin-ml-common';
import { ReactNode } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { mlApiRef } from '../../api';
import { formatBytes, formatNumber } from '../Health/format';
import { relativeTime } from '../shared/relativeTime';
import { FieldsTable, WrongKindPanel } from './common';

const VERDICT: Record<
  DatasetFreshnessVerdict,
  { label: string; color: string; Icon: typeof CheckCircleIcon }
> = {
  fresh: { label: 'Fresh', color: '#2e7d32', Icon: CheckCircleIcon },
  stale: { label: 'Stale', color: '#ed6c02', Icon: WarningIcon },
  unknown: { label: 'Unknown', color: '#757575', Icon: HelpIcon },
};

/** The freshness verdict as a coloured chip, like a Model's health verdict. */
export function FreshnessChip(props: { verdict: DatasetFreshnessVerdict }) {
  const { label, color, Icon } = VERDICT[props.verdict] ?? VERDICT.unknown;
  return (
    <Chip
      label={label}
      icon={<Icon style={{ color: '#fff' }} />}
      style={{ backgroundColor: color, color: '#fff', fontWeight: 600 }}
      data-testid={`freshness-${props.verdict}`}
    />
  );
}

function when(iso: string | undefined): ReactNode | undefined {
  if (!iso) return undefined;
  return `${new Date(iso).toLocaleString()} (${relativeTime(iso)})`;
}

function factRows(facts: DatasetLocationFacts): Record<string, ReactNode> {
  switch (facts.kind) {
    case 's3':
      return {
        Where: `s3://${facts.bucket}/${facts.prefix}`,
        Objects: `${formatNumber(facts.objectCount)}${
          facts.truncated ? '+ (listing stopped at its page limit)' : ''
        }`,
        'Total size': formatBytes(facts.totalBytes),
        'Newest object': when(facts.newestObjectAt) ?? 'no objects',
      };
    case 'pvc':
      return {
        PVC: `${facts.namespace}/${facts.claim} on ${facts.cluster}`,
        Phase: facts.phase,
        Capacity: facts.capacity,
        Used:
          facts.usedBytes !== undefined
            ? `${formatBytes(facts.usedBytes)}${
                facts.capacityBytes
                  ? ` (${Math.round(
                      (100 * facts.usedBytes) / facts.capacityBytes,
                    )}%)`
                  : ''
              }`
            : facts.usedBytesReason,
        'Storage class': facts.storageClass,
      };
    case 'feast':
      return {
        [facts.objectType === 'featureService'
          ? 'Feature service'
          : 'Feature view']: `${facts.project}/${facts.name}`,
        ...(facts.objectType === 'featureService'
          ? { 'Feature views': facts.featureViews.join(', ') }
          : {}),
        'Last materialization': facts.lastMaterialization
          ? `${new Date(
              facts.lastMaterialization.start,
            ).toLocaleString()} → ${new Date(
              facts.lastMaterialization.end,
            ).toLocaleString()} (${relativeTime(
              facts.lastMaterialization.end,
            )})`
          : 'never',
        'Never materialized': facts.neverMaterialized.length
          ? facts.neverMaterialized.join(', ')
          : undefined,
      };
    default:
      return {};
  }
}

/** The card's content for one answer of the facts API. */
export function DatasetFacts(props: { value: DatasetFactsResponse }) {
  const { value } = props;
  const { freshness } = value;
  return (
    <>
      <Box display="flex" alignItems="center" mb={1} style={{ gap: 12 }}>
        <FreshnessChip verdict={freshness.verdict} />
        <Typography variant="body2">
          {freshness.maxAge
            ? `Objective: changed within ${freshness.maxAge}. `
            : ''}
          {freshness.reason.charAt(0).toUpperCase()}
          {freshness.reason.slice(1)}
        </Typography>
      </Box>
      {value.facts ? (
        <FieldsTable fields={factRows(value.facts)} />
      ) : (
        <EmptyState
          missing="data"
          title="No live facts for this Dataset"
          description={
            <>
              {value.unavailable} See docs/datasets.md, "Live facts", for the
              locations and settings that give facts.
            </>
          }
        />
      )}
      <Typography variant="caption" color="textSecondary">
        Read {relativeTime(value.checkedAt)} from {value.location}
      </Typography>
    </>
  );
}

/**
 * "Live facts" of a Dataset (`entity-card:ml/dataset-facts`): what its
 * `spec.location` says now (S3 object count, size and newest object; PVC
 * capacity, phase and used bytes; Feast last materialization) and the
 * verdict of its freshness objective.
 *
 * @public
 */
export function DatasetFactsCard() {
  const { entity } = useEntity();
  const api = useApi(mlApiRef);
  const namespace = entity.metadata.namespace ?? 'default';
  const name = entity.metadata.name;
  const isDataset = isDatasetEntity(entity);
  const { value, loading, error } = useAsyncRetry(
    async () =>
      isDataset ? api.getDatasetFacts({ namespace, name }) : undefined,
    [api, namespace, name, isDataset],
  );
  if (!isDataset) {
    return (
      <InfoCard title="Live facts">
        <WrongKindPanel expected="Dataset" />
      </InfoCard>
    );
  }
  return (
    <InfoCard title="Live facts">
      {loading && <Progress />}
      {error && (
        <ResponseErrorPanel
          title="Could not read the live facts of this Dataset"
          error={error}
        />
      )}
      {value && <DatasetFacts value={value} />}
    </InfoCard>
  );
}
