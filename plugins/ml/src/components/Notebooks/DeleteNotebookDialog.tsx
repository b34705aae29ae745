import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
} from '@material-ui/core';
import { Notebook } from '@mlplatform/plugin-ml-common';

/** Asks before a notebook and its workspace volume are deleted for good. */
export function DeleteNotebookDialog(props: {
  notebook?: Notebook;
  onCancel: () => void;
  onConfirm: (notebook: Notebook) => void;
}) {
  const nb = props.notebook;
  return (
    <Dialog
      open={!!nb}
      onClose={props.onCancel}
      aria-labelledby="delete-notebook-title"
    >
      <DialogTitle id="delete-notebook-title">
        Delete notebook {nb?.name}?
      </DialogTitle>
      <DialogContent>
        <DialogContentText>
          This deletes {nb?.name} in {nb?.namespace} on {nb?.cluster} together
          with its {nb?.storage} workspace volume. Files not saved elsewhere are
          lost; this cannot be undone.
        </DialogContentText>
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onCancel}>Cancel</Button>
        <Button
          color="secondary"
          variant="contained"
          onClick={() => nb && props.onConfirm(nb)}
        >
          Delete
        </Button>
      </DialogActions>
    </Dialog>
  );
}
