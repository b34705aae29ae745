import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  MenuItem,
  TextField,
  Typography,
} from '@material-ui/core';
import {
  ModelVersion,
  PromoteModelResponse,
} from '@mlplatform/plugin-ml-common';
import { useState } from 'react';
import { serverMessage } from '../shared/errors';
import { aliasChoices, metricDiff } from './metricDiff';

const ARROW_COLOR: Record<string, string | undefined> = {
  '▲': '#2e7d32',
  '▼': '#d32f2f',
};

/**
 * Asks which alias to move to `version`, shows what changes against the
 * version holding it now, and promotes on confirmation.
 */
export function PromoteDialog(props: {
  version: ModelVersion;
  versions: ModelVersion[];
  onPromote: (alias: string) => Promise<PromoteModelResponse>;
  onClose: (promoted: boolean) => void;
}) {
  const { version, versions, onPromote, onClose } = props;
  const choices = aliasChoices(versions);
  const [alias, setAlias] = useState(
    choices.find(a => !version.aliases.includes(a)) ?? choices[0],
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const holder = versions.find(v => v.aliases.includes(alias));
  const already = holder?.version === version.version;
  const changes = metricDiff(already ? undefined : holder, version);

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onPromote(alias);
      onClose(true);
    } catch (e) {
      setError(serverMessage(e));
      setBusy(false);
    }
  };

  return (
    <Dialog
      open
      onClose={() => !busy && onClose(false)}
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle>Promote {version.version}</DialogTitle>
      <DialogContent>
        <TextField
          select
          fullWidth
          label="Alias"
          value={alias}
          onChange={e => setAlias(e.target.value as string)}
          inputProps={{ 'aria-label': 'Alias' }}
          margin="dense"
        >
          {choices.map(a => (
            <MenuItem key={a} value={a}>
              {a}
            </MenuItem>
          ))}
        </TextField>
        <Typography variant="body2" paragraph>
          {already && `${alias} already points at ${version.version}.`}
          {!already &&
            (holder
              ? `${alias} moves from ${holder.version} to ${version.version}.`
              : `${alias} does not exist yet; it will point at ${version.version}.`)}
        </Typography>
        {changes.length > 0 && (
          <ul aria-label="Metric changes">
            {changes.map(c => (
              <li key={c.name} style={{ color: ARROW_COLOR[c.arrow] }}>
                {c.text}
              </li>
            ))}
          </ul>
        )}
        {error && (
          <Typography color="error" role="alert">
            {error}
          </Typography>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={() => onClose(false)} disabled={busy}>
          Cancel
        </Button>
        <Button
          color="primary"
          variant="contained"
          onClick={confirm}
          disabled={busy || already}
        >
          {busy ? 'Promoting…' : `Promote to ${alias}`}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
