import { InfoCard, Progress, WarningPanel } from '@backstage/core-components';
import {
  Entity,
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { useApi, useApiHolder } from '@backstage/frontend-plugin-api';
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
import useAsync from 'react-use/esm/useAsync';
import { mlApiRef } from '../../api';
import { serverMessage } from '../shared/errors';
import { VerdictBadge } from './VerdictBadge';

function HealthCell(props: { entity: Entity }) {
  const api = useApi(mlApiRef);
  const { namespace, name } = getCompoundEntityRef(props.entity);
  const { value, loading, error } = useAsync(
    () => api.getModelHealth({ namespace, name }, '1h'),
    [api, namespace, name],
  );
  if (loading) return <Typography variant="caption">checking…</Typography>;
  if (error) {
    return (
      <Typography variant="caption" color="error">
        {serverMessage(error)}
      </Typography>
    );
  }
  if (!value) return null;
  return (
    <Tooltip title={value.reason ?? ''}>
      <span>
        <VerdictBadge verdict={value.verdict} size="small" />
      </span>
    </Tooltip>
  );
}

function ModelsTable() {
  const catalogApi = useApi(catalogApiRef);
  const { value, loading, error } = useAsync(
    () =>
      catalogApi.getEntities({
        filter: { kind: 'Model' },
        fields: ['kind', 'metadata.name', 'metadata.namespace', 'spec.owner'],
      }),
    [catalogApi],
  );
  if (loading) return <Progress />;
  if (error) {
    return (
      <WarningPanel
        severity="error"
        title="Could not list the models"
        message={serverMessage(error)}
      />
    );
  }
  const models = [...(value?.items ?? [])].sort((a, b) =>
    stringifyEntityRef(a).localeCompare(stringifyEntityRef(b)),
  );
  if (models.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No Model entities in the catalog.
      </Typography>
    );
  }
  return (
    <Table size="small" aria-label="Model health">
      <TableHead>
        <TableRow>
          <TableCell>Model</TableCell>
          <TableCell>Owner</TableCell>
          <TableCell>Health (1h)</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {models.map(entity => (
          <TableRow key={stringifyEntityRef(entity)}>
            <TableCell>
              <EntityRefLink entityRef={entity} />
            </TableCell>
            <TableCell>{String(entity.spec?.owner ?? '—')}</TableCell>
            <TableCell>
              <HealthCell entity={entity} />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/**
 * Every Model in the catalog with its health verdict over the last hour, for
 * the ML overview. Renders nothing in an app without a catalog API.
 *
 * @public
 */
export function ModelsHealthCard() {
  const hasCatalog = Boolean(useApiHolder().get(catalogApiRef));
  if (!hasCatalog) return null;
  return (
    <InfoCard title="Models">
      <ModelsTable />
    </InfoCard>
  );
}
