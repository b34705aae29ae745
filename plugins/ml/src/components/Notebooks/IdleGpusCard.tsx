import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
  WarningPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  Box,
  Button,
  Chip,
  List,
  ListItem,
  ListItemText,
  makeStyles,
  Typography,
} from '@material-ui/core';
import {
  describeIdle,
  describeIdleNamespace,
  formatIdleDuration,
  IDLE_POLICY_ANNOTATION,
  IdleNotebook,
  IdleNotebooksResponse,
} from '@mlplatform/plugin-ml-common';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { mlApiRef } from '../../api';
import { serverMessage } from '../shared/errors';

const useStyles = makeStyles(theme => ({
  summary: { marginBottom: theme.spacing(1) },
  chips: { display: 'inline-flex', gap: theme.spacing(0.5), marginLeft: 8 },
}));

const WHAT_TO_DO: Record<
  Exclude<IdleNotebooksResponse['status'], 'ok'>,
  string
> = {
  'no-prometheus': 'Idle GPUs are not configured',
  'no-dcgm': 'No GPU utilisation metrics',
  unavailable: 'Prometheus did not answer',
};

function policyText(data: IdleNotebooksResponse): string {
  const rule = `below ${
    data.threshold
  }% GPU for longer than ${formatIdleDuration(data.afterSeconds)}`;
  if (data.action === 'stop') {
    return `Notebooks ${rule} are stopped after a warning to their owner, unless their owner exempts them (${IDLE_POLICY_ANNOTATION}: exempt).`;
  }
  if (data.action === 'notify') {
    return `Owners of notebooks ${rule} get a notification.`;
  }
  return `A notebook counts as idle ${rule}.`;
}

function IdleRow(props: {
  notebook: IdleNotebook;
  showOwner: boolean;
  onExempt?: (n: IdleNotebook, exempt: boolean) => void;
  busy: boolean;
}) {
  const classes = useStyles();
  const { notebook: n, showOwner, onExempt, busy } = props;
  return (
    <ListItem divider>
      <ListItemText
        primary={
          <>
            <strong>{n.name}</strong> · {n.gpus} GPU{n.gpus === 1 ? '' : 's'} ·{' '}
            {describeIdle(n)}
            <span className={classes.chips}>
              {n.backend === 'jupyterhub' && (
                <Chip size="small" variant="outlined" label="JupyterHub" />
              )}
              {n.exempt && <Chip size="small" label="exempt" />}
              {n.stopsAt && (
                <Chip
                  size="small"
                  color="secondary"
                  label={`stops ${new Date(n.stopsAt).toLocaleString()}`}
                />
              )}
            </span>
          </>
        }
        secondary={`${n.cluster} / ${n.namespace}${
          showOwner ? ` · ${n.createdBy}` : ''
        }${
          n.warnedAt
            ? ` · owner warned ${new Date(n.warnedAt).toLocaleString()}`
            : ''
        }`}
      />
      {onExempt && (
        <Button
          size="small"
          variant="outlined"
          disabled={busy}
          onClick={() => onExempt(n, !n.exempt)}
        >
          {n.exempt ? 'Apply idle policy' : 'Exempt from idle policy'}
        </Button>
      )}
    </ListItem>
  );
}

/**
 * Notebooks holding GPUs that DCGM saw idle: a line per namespace ("3 GPUs
 * held by 2 idle notebooks in fraud") and one per notebook ("idle for 3h at
 * 1% GPU"). `mine` shows the signed-in user's, with the opt-out; otherwise
 * everyone's, optionally of one team or cluster. Says why when it cannot
 * tell (no Prometheus, no DCGM metrics, Prometheus down) and what to do.
 *
 * @public
 */
export function IdleGpusCard(props: {
  mine?: boolean;
  team?: string;
  cluster?: string;
}) {
  const classes = useStyles();
  const api = useApi(mlApiRef);
  const { mine, team, cluster } = props;
  const { value, loading, error, retry } = useAsyncRetry(
    async () =>
      api.getIdleNotebooks
        ? api.getIdleNotebooks(
            mine ? { mine: 'true' } : { ...(team ? { team } : {}), cluster },
          )
        : undefined,
    [api, mine, team, cluster],
  );
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string>();
  if (!api.getIdleNotebooks) return null;

  const onExempt = async (n: IdleNotebook, exempt: boolean) => {
    setBusy(true);
    setActionError(undefined);
    try {
      await api.setNotebookIdlePolicy!(n, {
        policy: exempt ? 'exempt' : 'default',
      });
    } catch (e) {
      setActionError(
        `Could not change the idle policy of ${n.name}: ${serverMessage(e)}`,
      );
    } finally {
      setBusy(false);
      retry();
    }
  };

  let body;
  if (loading && !value) {
    body = <Progress />;
  } else if (error) {
    body = (
      <ResponseErrorPanel title="Could not load idle GPUs" error={error} />
    );
  } else if (value && value.status !== 'ok') {
    body = (
      <WarningPanel
        severity={value.status === 'unavailable' ? 'error' : 'info'}
        title={WHAT_TO_DO[value.status]}
        message={value.message}
      />
    );
  } else if (value && value.items.length === 0) {
    body = (
      <EmptyState
        missing="data"
        title={mine ? 'None of your notebooks is idle' : 'No idle GPUs'}
        description={`No notebook holds GPUs below ${
          value.threshold
        }% for longer than ${formatIdleDuration(value.afterSeconds)}.`}
      />
    );
  } else if (value) {
    body = (
      <>
        {actionError && (
          <Box mb={1}>
            <WarningPanel severity="error" title={actionError} />
          </Box>
        )}
        {value.namespaces.map(row => (
          <Typography
            key={`${row.cluster}/${row.namespace}`}
            variant="subtitle1"
            className={classes.summary}
          >
            {describeIdleNamespace(row)} on {row.cluster}
          </Typography>
        ))}
        <List dense disablePadding>
          {value.items.map(n => (
            <IdleRow
              key={`${n.cluster}/${n.namespace}/${n.name}`}
              notebook={n}
              showOwner={!mine}
              busy={busy}
              onExempt={
                mine && api.setNotebookIdlePolicy && value.action
                  ? onExempt
                  : undefined
              }
            />
          ))}
        </List>
      </>
    );
  }

  return (
    <InfoCard
      title={mine ? 'Your idle GPUs' : 'Idle GPUs'}
      subheader={value ? policyText(value) : undefined}
    >
      {body}
    </InfoCard>
  );
}
