import {
  Content,
  ContentHeader,
  EmptyState,
  Progress,
  ResponseErrorPanel,
  SupportButton,
  Table,
  TableColumn,
  WarningPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { Box, Button, makeStyles, Typography } from '@material-ui/core';
import AddIcon from '@material-ui/icons/Add';
import { Notebook } from '@mlplatform/plugin-ml-common';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { mlApiRef, NotebookRef } from '../../api';
import { serverMessage } from '../shared/errors';
import { age } from '../shared/relativeTime';
import { DeleteNotebookDialog } from './DeleteNotebookDialog';
import { NewNotebookDialog } from './NewNotebookDialog';
import { NotebookPhase } from './NotebookPhase';
import { NotebookLogsButton } from '../Logs/NotebookLogsButton';
import { IdleGpusCard } from './IdleGpusCard';

const backendLabel: Record<Notebook['backend'], string> = {
  kubeflow: 'Kubeflow Notebook',
  statefulset: 'StatefulSet',
  jupyterhub: 'JupyterHub server',
};

const useStyles = makeStyles(theme => ({
  actions: {
    display: 'flex',
    gap: theme.spacing(1),
    flexWrap: 'wrap',
    '& > *': { whiteSpace: 'nowrap' },
  },
  mono: { fontFamily: 'monospace', fontSize: '0.8125rem' },
  image: {
    fontFamily: 'monospace',
    fontSize: '0.8125rem',
    whiteSpace: 'nowrap',
  },
  nowrap: { whiteSpace: 'nowrap' },
}));

type Action = 'stop' | 'start' | 'delete';

const keyOf = (n: NotebookRef) => `${n.cluster}/${n.namespace}/${n.name}`;
const refOf = (n: Notebook): NotebookRef => ({
  cluster: n.cluster,
  namespace: n.namespace,
  name: n.name,
});

/** `quay.io/jupyter/pytorch-notebook:2024-12-02` → name and tag. */
function imageParts(image: string): { name: string; tag?: string } {
  const last = image.split('/').pop() ?? image;
  const [name, tag] = last.split(/[:@]/, 2);
  return { name, tag };
}

function NotebookActions(props: {
  notebook: Notebook;
  busy: boolean;
  onAction: (action: Action, notebook: Notebook) => void;
}) {
  const classes = useStyles();
  const { notebook: nb, busy } = props;
  const canStop = nb.phase === 'Running' || nb.phase === 'Pending';
  const canStart = nb.phase === 'Stopped' || nb.phase === 'Failed';
  const label = (verb: string) => `${verb} ${nb.name}`;
  return (
    <div className={classes.actions}>
      <NotebookLogsButton notebook={nb} />
      {nb.url && nb.phase === 'Running' && (
        <Button
          size="small"
          variant="outlined"
          color="primary"
          href={nb.url}
          target="_blank"
          rel="noopener noreferrer"
          aria-label={label('Open')}
        >
          Open
        </Button>
      )}
      {canStop && (
        <Button
          size="small"
          variant="outlined"
          disabled={busy}
          onClick={() => props.onAction('stop', nb)}
          aria-label={label('Stop')}
        >
          Stop
        </Button>
      )}
      {canStart && (
        <Button
          size="small"
          variant="outlined"
          disabled={busy}
          onClick={() => props.onAction('start', nb)}
          aria-label={label('Start')}
        >
          Start
        </Button>
      )}
      <Button
        size="small"
        variant="outlined"
        color="secondary"
        disabled={busy}
        onClick={() => props.onAction('delete', nb)}
        aria-label={label('Delete')}
      >
        Delete
      </Button>
    </div>
  );
}

/**
 * The signed-in user's notebooks on every cluster, with Open / Stop / Start /
 * Delete, and the "New notebook" dialog.
 *
 * @public
 */
export function MyNotebooksPage(props: { now?: number }) {
  const classes = useStyles();
  const api = useApi(mlApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.listNotebooks(),
    [api],
  );
  const [busy, setBusy] = useState<Record<string, boolean>>({});
  const [actionError, setActionError] = useState<string>();
  const [confirmDelete, setConfirmDelete] = useState<Notebook>();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<string>();

  const run = async (action: Action, nb: Notebook) => {
    const key = keyOf(nb);
    setBusy(b => ({ ...b, [key]: true }));
    setActionError(undefined);
    try {
      if (action === 'stop') await api.stopNotebook(refOf(nb));
      else if (action === 'start') await api.startNotebook(refOf(nb));
      else await api.deleteNotebook(refOf(nb));
    } catch (e) {
      setActionError(`Could not ${action} ${nb.name}: ${serverMessage(e)}`);
    } finally {
      setBusy(b => ({ ...b, [key]: false }));
      retry();
    }
  };

  const onAction = (action: Action, nb: Notebook) => {
    if (action === 'delete') setConfirmDelete(nb);
    else run(action, nb);
  };

  const columns: TableColumn<Notebook>[] = [
    {
      title: 'Name',
      field: 'name',
      highlight: true,
      render: nb => (
        <>
          <Typography variant="body2" className={classes.nowrap}>
            <strong>{nb.name}</strong>
          </Typography>
          <Typography variant="caption" color="textSecondary">
            {backendLabel[nb.backend] ?? nb.backend}
          </Typography>
        </>
      ),
    },
    {
      title: 'Cluster / namespace',
      render: nb => (
        <span className={classes.nowrap}>
          {nb.cluster} / {nb.namespace}
        </span>
      ),
    },
    {
      title: 'Phase',
      render: nb => (
        <div style={{ minWidth: 130 }}>
          <span className={classes.nowrap}>
            <NotebookPhase phase={nb.phase} />
          </span>
          {nb.message && (
            <Typography variant="caption" color="textSecondary" component="p">
              {nb.message}
            </Typography>
          )}
        </div>
      ),
    },
    {
      title: 'GPUs / resources',
      render: nb => (
        <>
          {nb.gpus === 0 ? (
            <Typography variant="body2" color="textSecondary">
              no GPU
            </Typography>
          ) : (
            <Typography variant="body2" className={classes.nowrap}>
              {nb.gpus} × <span className={classes.mono}>{nb.gpuResource}</span>
            </Typography>
          )}
          <Typography variant="caption" color="textSecondary" component="p">
            {nb.flavor ? `flavor ${nb.flavor} · ` : ''}
            {nb.cpu} CPU · {nb.memory}
          </Typography>
        </>
      ),
    },
    {
      title: 'Image',
      render: nb => {
        const { name, tag } = imageParts(nb.image);
        return (
          <div title={nb.image}>
            <span className={classes.image}>{name}</span>
            {tag && (
              <Typography variant="caption" color="textSecondary" component="p">
                {tag}
              </Typography>
            )}
          </div>
        );
      },
    },
    {
      title: 'Age',
      cellStyle: { width: 48 },
      render: nb => (
        <span title={nb.createdAt}>{age(nb.createdAt, props.now) ?? '—'}</span>
      ),
    },
    {
      title: 'Actions',
      cellStyle: { minWidth: 250 },
      render: nb => (
        <NotebookActions
          notebook={nb}
          busy={!!busy[keyOf(nb)]}
          onAction={onAction}
        />
      ),
    },
  ];

  let body;
  if (loading && !value) {
    body = <Progress />;
  } else if (error) {
    body = (
      <ResponseErrorPanel title="Could not load your notebooks" error={error} />
    );
  } else if (value) {
    body = (
      <>
        {value.unavailableClusters.length > 0 && (
          <Box mb={2}>
            <WarningPanel
              title={`Unavailable: ${value.unavailableClusters.join(', ')}`}
              message="Notebooks on these clusters show phase Unknown until the cluster answers again; stop, start and delete may fail there."
            />
          </Box>
        )}
        {actionError && (
          <Box mb={2}>
            <WarningPanel severity="error" title={actionError} />
          </Box>
        )}
        {created && (
          <Box mb={2}>
            <Typography variant="body2">{created}</Typography>
          </Box>
        )}
        {value.items.length === 0 ? (
          <EmptyState
            missing="content"
            title="You have no notebooks yet"
            description="Create one with “New notebook”: pick one of your team's GPU quotas, an image and how many GPUs you need."
            action={
              <Button
                variant="contained"
                color="primary"
                onClick={() => setCreating(true)}
              >
                New notebook
              </Button>
            }
          />
        ) : (
          <Table<Notebook>
            title={`Notebooks (${value.items.length})`}
            options={{
              paging: false,
              search: false,
              padding: 'dense',
              draggable: false,
            }}
            columns={columns}
            data={value.items}
          />
        )}
      </>
    );
  }

  return (
    <Content>
      <ContentHeader title="My notebooks">
        <Button
          variant="contained"
          color="primary"
          startIcon={<AddIcon />}
          onClick={() => setCreating(true)}
        >
          New notebook
        </Button>
        <Button variant="outlined" onClick={retry} style={{ marginLeft: 8 }}>
          Refresh
        </Button>
        <SupportButton>
          Jupyter notebooks you created through the portal, on every cluster.
          Stopping keeps the workspace volume; deleting removes it.
        </SupportButton>
      </ContentHeader>
      {body}
      <Box mt={2}>
        <IdleGpusCard mine />
      </Box>
      <DeleteNotebookDialog
        notebook={confirmDelete}
        onCancel={() => setConfirmDelete(undefined)}
        onConfirm={nb => {
          setConfirmDelete(undefined);
          run('delete', nb);
        }}
      />
      <NewNotebookDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={nb => {
          setCreated(
            `Created ${nb.name} in ${nb.namespace} on ${
              nb.cluster
            }; it is ${nb.phase.toLowerCase()}.`,
          );
          retry();
        }}
      />
    </Content>
  );
}
