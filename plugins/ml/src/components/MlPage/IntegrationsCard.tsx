import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StatusAborted,
  StatusError,
  StatusOK,
  StatusWarning,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import {
  MlIntegrationState,
  MlIntegrationStatus,
} from '@mlplatform/plugin-ml-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { mlApiRef } from '../../api';

const STATE_LABEL: Record<MlIntegrationState, string> = {
  ok: 'Connected',
  degraded: 'Partly reachable',
  unreachable: 'Unreachable',
  'not-configured': 'Not configured',
};

function StateBadge({ state }: { state: MlIntegrationState }) {
  const label = STATE_LABEL[state];
  switch (state) {
    case 'ok':
      return <StatusOK>{label}</StatusOK>;
    case 'degraded':
      return <StatusWarning>{label}</StatusWarning>;
    case 'unreachable':
      return <StatusError>{label}</StatusError>;
    default:
      return <StatusAborted>{label}</StatusAborted>;
  }
}

function Targets({ integration }: { integration: MlIntegrationStatus }) {
  if (integration.state === 'not-configured') {
    return (
      <Typography variant="body2" color="textSecondary">
        Add <code>{integration.configKey}</code> to app-config.yaml to enable
        it.
      </Typography>
    );
  }
  return (
    <>
      {integration.targets.map(t => (
        <Typography variant="body2" key={`${t.name}-${t.host}`}>
          <strong>{t.name}</strong> ({t.host}){' '}
          {t.reachable ? `answered in ${t.latencyMs} ms` : `failed: ${t.error}`}
        </Typography>
      ))}
    </>
  );
}

/**
 * Lists the ML backend's integrations (Kubernetes, registries, Prometheus,
 * Alertmanager) and whether each is configured and reachable.
 *
 * @public
 */
export function IntegrationsCard() {
  const mlApi = useApi(mlApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => mlApi.getHealth(),
    [mlApi],
  );

  if (loading) {
    return (
      <InfoCard title="Integrations">
        <Progress />
      </InfoCard>
    );
  }
  if (error) {
    return (
      <ResponseErrorPanel title="The ML backend did not answer" error={error} />
    );
  }
  return (
    <InfoCard
      title="Integrations"
      subheader={`ML backend ${value!.version} · checked ${new Date(
        value!.checkedAt,
      ).toLocaleTimeString()}`}
      action={
        <Typography
          component="button"
          variant="body2"
          onClick={retry}
          style={{
            background: 'none',
            border: 0,
            cursor: 'pointer',
            color: 'inherit',
            textDecoration: 'underline',
          }}
        >
          Refresh
        </Typography>
      }
    >
      <Table size="small" aria-label="ML integrations">
        <TableHead>
          <TableRow>
            <TableCell>Integration</TableCell>
            <TableCell>Status</TableCell>
            <TableCell>Endpoints</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {value!.integrations.map(i => (
            <TableRow key={i.id}>
              <TableCell style={{ whiteSpace: 'nowrap' }}>{i.title}</TableCell>
              <TableCell style={{ whiteSpace: 'nowrap' }}>
                <StateBadge state={i.state} />
              </TableCell>
              <TableCell>
                <Targets integration={i} />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </InfoCard>
  );
}
