import { WarningPanel } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { Box, Button, LinearProgress, Typography } from '@material-ui/core';
import { Notebook } from '@mlplatform/plugin-ml-common';
import { useEffect, useState } from 'react';
import { mlApiRef } from '../../api';
import { serverMessage } from '../shared/errors';

type SpawnState = {
  progress: number;
  message: string;
  url?: string;
  failed?: string;
};

/**
 * A JupyterHub notebook starting: JupyterHub's progress events as a
 * progress bar with their messages, then an Open button that lands in
 * JupyterLab (or the reason it failed).
 *
 * @public
 */
export function SpawnProgress(props: { notebook: Notebook }) {
  const api = useApi(mlApiRef);
  const { notebook } = props;
  const [state, setState] = useState<SpawnState>({
    progress: 0,
    message: 'Server requested',
  });

  useEffect(() => {
    if (!api.followNotebookProgress) return undefined;
    const abort = new AbortController();
    const ref = {
      cluster: notebook.cluster,
      namespace: notebook.namespace,
      name: notebook.name,
    };
    (async () => {
      try {
        for await (const event of api.followNotebookProgress!(
          ref,
          abort.signal,
        )) {
          setState(prev => ({
            progress: event.progress ?? prev.progress,
            message: event.message ?? prev.message,
            ...(event.ready ? { url: event.url ?? notebook.url } : {}),
            ...(event.failed
              ? { failed: event.message ?? 'the spawn failed' }
              : {}),
          }));
        }
      } catch (e) {
        if (!abort.signal.aborted) {
          setState(prev => ({ ...prev, failed: serverMessage(e) }));
        }
      }
    })();
    return () => abort.abort();
  }, [api, notebook]);

  if (state.failed) {
    return (
      <WarningPanel
        severity="error"
        title={`${notebook.name} did not start`}
        message={state.failed}
        defaultExpanded
      />
    );
  }
  return (
    <Box>
      <Typography variant="body2" gutterBottom>
        {state.url
          ? `${notebook.name} is running.`
          : `Starting ${notebook.name} on JupyterHub…`}
      </Typography>
      <LinearProgress
        variant="determinate"
        value={Math.max(0, Math.min(100, state.progress))}
        aria-label="Spawn progress"
      />
      <Box mt={1} mb={1}>
        <Typography variant="caption" color="textSecondary" role="status">
          {state.progress}% · {state.message}
        </Typography>
      </Box>
      {state.url && (
        <Button
          color="primary"
          variant="contained"
          href={state.url}
          target="_blank"
          rel="noopener noreferrer"
        >
          Open JupyterLab
        </Button>
      )}
    </Box>
  );
}
