import { Progress, WarningPanel } from '@backstage/core-components';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { EntityRefLink, useEntity } from '@backstage/plugin-catalog-react';
import {
  Box,
  Chip,
  List,
  ListItem,
  ListItemText,
  Typography,
} from '@material-ui/core';
import useAsync from 'react-use/esm/useAsync';
import {
  AlertActionItem,
  AlertActionStatus,
} from '@mlplatform/plugin-ml-common';
import { mlApiRef } from '../../api';
import { serverMessage } from '../shared/errors';

const STATUS_CHIP: Record<
  Exclude<AlertActionStatus, 'started'>,
  { label: string; color: string }
> = {
  duplicate: { label: 'duplicate', color: '#757575' },
  'rate-limited': { label: 'rate-limited', color: '#ed6c02' },
  failed: { label: 'failed', color: '#d32f2f' },
  'no-match': { label: 'no match', color: '#9e9e9e' },
};

const ACTION_LABEL: Record<string, string> = { retrain: 'Retraining' };

const pad = (n: number) => String(n).padStart(2, '0');

/** `14:02 UTC`, with the day in front when it was not today (UTC). */
function when(iso: string, now: number = Date.now()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
  const sameDay =
    new Date(now).toISOString().slice(0, 10) === d.toISOString().slice(0, 10);
  if (sameDay) return time;
  return `${d.toLocaleDateString('en-GB', {
    timeZone: 'UTC',
    day: 'numeric',
    month: 'short',
  })} ${time}`;
}

function Sentence(props: { item: AlertActionItem }) {
  const { item } = props;
  const action = ACTION_LABEL[item.action] ?? `Action ${item.action}`;
  const at = when(item.at);
  const run = item.runId && (
    <>
      {' '}
      (run{' '}
      {item.pipelineRef ? (
        <EntityRefLink entityRef={item.pipelineRef} defaultKind="pipeline">
          {item.runId}
        </EntityRefLink>
      ) : (
        item.runId
      )}
      )
    </>
  );
  if (item.status === 'started') {
    return (
      <>
        {action} started by alert <strong>{item.alertname}</strong> at {at}
        {run}
      </>
    );
  }
  return (
    <>
      {action} for alert <strong>{item.alertname}</strong> at {at}
      {run}
    </>
  );
}

/**
 * What the alert webhook did about this Model's alerts (retraining started,
 * duplicates, rate limits, failures), newest first. Shown in the alerts card.
 *
 * @public
 */
export function ModelAlertActions(props: { limit?: number }) {
  const { entity } = useEntity();
  const api = useApi(mlApiRef);
  const { namespace, name } = getCompoundEntityRef(entity);
  const limit = props.limit ?? 10;
  const { value, loading, error } = useAsync(
    () => api.getModelAlertActions({ namespace, name }, { limit }),
    [api, namespace, name, limit],
  );

  let content;
  if (loading) {
    content = <Progress />;
  } else if (error) {
    content = (
      <WarningPanel
        severity="warning"
        title="Could not read the automated reactions"
        message={serverMessage(error)}
      />
    );
  } else if (!value || value.items.length === 0) {
    content = (
      <Typography variant="body2" color="textSecondary">
        No automated reactions to this model's alerts yet. Alertmanager's
        webhook (<code>POST /api/ml/alerts/webhook</code>) starts the actions
        configured under <code>ml.alerts</code> in app-config.yaml, e.g.
        retraining when ModelDriftHigh fires.
      </Typography>
    );
  } else {
    content = (
      <List dense disablePadding aria-label="Automated reactions">
        {value.items.map(item => (
          <ListItem
            key={`${item.fingerprint}-${item.at}-${item.action}`}
            disableGutters
            title={`alert started ${item.startsAt}; handled ${item.at}`}
          >
            <ListItemText
              disableTypography
              primary={
                <Typography variant="body2" component="div">
                  {item.status !== 'started' && (
                    <Chip
                      size="small"
                      label={STATUS_CHIP[item.status]?.label ?? item.status}
                      style={{
                        backgroundColor:
                          STATUS_CHIP[item.status]?.color ?? '#757575',
                        color: '#fff',
                        marginRight: 8,
                      }}
                      data-testid={`alert-action-${item.status}`}
                    />
                  )}
                  <Sentence item={item} />
                </Typography>
              }
              secondary={
                item.status === 'started' ? undefined : (
                  <Typography variant="caption" color="textSecondary">
                    {item.summary}
                  </Typography>
                )
              }
            />
          </ListItem>
        ))}
      </List>
    );
  }
  return (
    <Box mt={2}>
      <Typography variant="subtitle2" gutterBottom>
        Automated reactions
      </Typography>
      {content}
    </Box>
  );
}
