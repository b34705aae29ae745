import {
  EmptyState,
  InfoCard,
  Link,
  Progress,
  WarningPanel,
} from '@backstage/core-components';
import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import { useEntity } from '@backstage/plugin-catalog-react';
import { isModelEntity } from '@mlplatform/plugin-ml-common';
import { WrongKindPanel } from '../EntityCards/common';
import { serverMessage } from '../shared/errors';
import { relativeTime } from '../shared/relativeTime';
import { ModelAlertActions } from './AlertActions';
import { useModelHealth } from './useModelHealth';
import { SeverityChip } from './VerdictBadge';

const SEVERITY_ORDER = ['page', 'critical', 'warning', 'info'];

function rank(severity: string) {
  const i = SEVERITY_ORDER.indexOf(severity);
  return i === -1 ? SEVERITY_ORDER.length : i;
}

/**
 * Alerts firing for a Model in Alertmanager (`entity-card:ml/model-alerts`),
 * most severe first, and what the alert webhook did about them.
 *
 * @public
 */
export function ModelAlertsCard() {
  const { entity } = useEntity();
  const isModel = isModelEntity(entity);

  if (!isModel) {
    return (
      <InfoCard title="Alerts">
        <WrongKindPanel expected="Model" />
      </InfoCard>
    );
  }
  return (
    <InfoCard title="Alerts">
      <FiringAlerts />
      <ModelAlertActions />
    </InfoCard>
  );
}

/** The firing alerts part of the card, from the model's health. */
function FiringAlerts() {
  const { value, loading, error } = useModelHealth('1h');
  if (error) {
    return (
      <WarningPanel
        severity="error"
        title="Could not read the model's alerts"
        message={serverMessage(error)}
      />
    );
  }
  if (loading || !value) {
    return <Progress />;
  }
  const { alertmanager } = value;
  if (alertmanager.state === 'not-configured') {
    return (
      <EmptyState
        missing="info"
        title="Alertmanager not configured"
        description={
          <>
            Set <code>ml.alertmanager.url</code> in app-config.yaml to see this
            model's firing alerts.
            {alertmanager.message ? ` (${alertmanager.message})` : ''}
          </>
        }
      />
    );
  }
  if (alertmanager.state === 'not-queried') {
    // Not asked is not "nothing firing": say so, and how to get an answer.
    return (
      <EmptyState
        missing="field"
        title="Alerts not queried"
        description={
          <>
            Not queried: this model has no{' '}
            <code>mlplatform.io/metrics-selector</code> annotation, so
            Alertmanager was not asked about it. Add one, with Prometheus label
            matchers such as{' '}
            <code>namespace="fraud", model="fraud-detector"</code>, to see the
            alerts firing for this model.
          </>
        }
      />
    );
  }
  const alerts = [...value.alerts].sort(
    (a, b) =>
      rank(a.severity) - rank(b.severity) ||
      a.startsAt.localeCompare(b.startsAt),
  );
  return (
    <>
      {alertmanager.state !== 'ok' && (
        <WarningPanel
          severity="warning"
          title={
            alertmanager.state === 'unreachable'
              ? 'Alertmanager did not answer'
              : 'Alertmanager returned an error'
          }
          message={alertmanager.message}
        />
      )}
      {alertmanager.state === 'ok' && alerts.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          No alerts firing for this model
        </Typography>
      )}
      {alerts.length > 0 && (
        <Table size="small" aria-label="Firing alerts">
          <TableHead>
            <TableRow>
              <TableCell>Severity</TableCell>
              <TableCell>Alert</TableCell>
              <TableCell>Since</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {alerts.map(alert => (
              <TableRow key={alert.fingerprint}>
                <TableCell>
                  <SeverityChip severity={alert.severity} />
                </TableCell>
                <TableCell>
                  {alert.generatorURL ? (
                    <Link to={alert.generatorURL}>{alert.name}</Link>
                  ) : (
                    <strong>{alert.name}</strong>
                  )}
                  {alert.summary && (
                    <Typography variant="body2">{alert.summary}</Typography>
                  )}
                </TableCell>
                <TableCell title={alert.startsAt}>
                  {relativeTime(alert.startsAt) ?? alert.startsAt}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
}
