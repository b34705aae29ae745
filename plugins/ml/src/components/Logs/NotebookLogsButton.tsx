import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
} from '@material-ui/core';
import { Notebook } from '@mlplatform/plugin-ml-common';
import { useState } from 'react';
import { LogsCard } from './LogsCard';

/** "Logs" on a notebook's row of My notebooks: its pod's logs in a dialog. */
export function NotebookLogsButton(props: { notebook: Notebook }) {
  const { notebook: nb } = props;
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button
        size="small"
        variant="outlined"
        aria-label={`Logs of ${nb.name}`}
        onClick={() => setOpen(true)}
      >
        Logs
      </Button>
      {open && (
        <Dialog open onClose={() => setOpen(false)} maxWidth="lg" fullWidth>
          <DialogContent>
            <LogsCard
              title={`Logs of notebook ${nb.name}`}
              target={{
                kind: 'notebook',
                cluster: nb.cluster,
                namespace: nb.namespace,
                name: nb.name,
              }}
            />
          </DialogContent>
          <DialogActions>
            <Button onClick={() => setOpen(false)}>Close</Button>
          </DialogActions>
        </Dialog>
      )}
    </>
  );
}
