import { Link } from '@backstage/core-components';
import {
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  IconButton,
  TextField,
  Typography,
} from '@material-ui/core';
import DeleteIcon from '@material-ui/icons/Delete';
import { PipelineRun } from '@mlplatform/plugin-ml-common';
import { useRef, useState } from 'react';
import { serverMessage } from '../shared/errors';
import { MAX_PARAMETER_VALUE, PARAMETER_NAME } from './format';
import { RunStatusChip } from './RunStatusChip';

interface ParameterRow {
  key: number;
  name: string;
  value: string;
  /** The last run's value, shown as a hint. */
  last?: string;
}

/** Why each row is invalid, by row key; empty rows are skipped, not errors. */
export function parameterErrors(rows: ParameterRow[]): Map<number, string> {
  const errors = new Map<number, string>();
  const seen = new Set<string>();
  for (const row of rows) {
    const name = row.name.trim();
    if (name === '' && row.value === '') continue;
    if (name === '') {
      errors.set(row.key, 'A value needs a name');
    } else if (!PARAMETER_NAME.test(name)) {
      errors.set(
        row.key,
        'Start with a letter or _, then letters, digits, _ . - (at most 63 characters)',
      );
    } else if (seen.has(name)) {
      errors.set(row.key, `${name} is given twice`);
    } else if (row.value.length > MAX_PARAMETER_VALUE) {
      errors.set(row.key, `At most ${MAX_PARAMETER_VALUE} characters`);
    }
    seen.add(name);
  }
  return errors;
}

/** Rows with a name and a value; a row left empty keeps the pipeline's default. */
function parametersOf(rows: ParameterRow[]): Record<string, string> {
  return Object.fromEntries(
    rows
      .filter(row => row.name.trim() !== '' && row.value !== '')
      .map(row => [row.name.trim(), row.value]),
  );
}

/**
 * Asks for run parameters (names prefilled from the last run), checks them as
 * the backend does, starts the run and shows it; a refusal is shown in the
 * backend's words and the dialog stays open.
 */
export function StartRunDialog(props: {
  pipelineTitle: string;
  lastParameters?: Record<string, string>;
  onStart: (parameters: Record<string, string>) => Promise<PipelineRun>;
  onClose: () => void;
}) {
  const { pipelineTitle, lastParameters = {}, onStart, onClose } = props;
  const nextKey = useRef(0);
  const newRow = (name = '', last?: string): ParameterRow => ({
    key: nextKey.current++,
    name,
    value: '',
    last,
  });
  const [rows, setRows] = useState<ParameterRow[]>(() => {
    const names = Object.keys(lastParameters).sort();
    return names.length > 0
      ? names.map(n => newRow(n, lastParameters[n]))
      : [newRow()];
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [started, setStarted] = useState<PipelineRun>();
  const errors = parameterErrors(rows);

  const update = (key: number, change: Partial<ParameterRow>) =>
    setRows(current =>
      current.map(row => (row.key === key ? { ...row, ...change } : row)),
    );

  const start = async () => {
    if (errors.size > 0) return;
    setBusy(true);
    setError(undefined);
    try {
      setStarted(await onStart(parametersOf(rows)));
    } catch (e) {
      setError(serverMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open onClose={() => !busy && onClose()} fullWidth maxWidth="sm">
      <DialogTitle>Start a run of {pipelineTitle}</DialogTitle>
      <DialogContent>
        {started ? (
          <Box role="status" aria-label="Started run">
            <Typography component="div" paragraph>
              Started run <strong>{started.name ?? started.id}</strong>{' '}
              <RunStatusChip
                status={started.status}
                rawStatus={started.rawStatus}
                message={started.message}
              />
            </Typography>
            {started.uiUrl && (
              <Link to={started.uiUrl}>Open in the orchestrator</Link>
            )}
          </Box>
        ) : (
          <>
            <Typography variant="body2" color="textSecondary" paragraph>
              Parameters left empty keep the pipeline's defaults.
            </Typography>
            {rows.map((row, index) => (
              <Box
                key={row.key}
                display="flex"
                alignItems="flex-start"
                style={{ gap: 8 }}
              >
                <TextField
                  label="Name"
                  value={row.name}
                  margin="dense"
                  error={errors.has(row.key)}
                  helperText={errors.get(row.key) ?? ' '}
                  inputProps={{ 'aria-label': `Parameter ${index + 1} name` }}
                  onChange={e => update(row.key, { name: e.target.value })}
                  style={{ flex: 1 }}
                />
                <TextField
                  label="Value"
                  value={row.value}
                  margin="dense"
                  placeholder={row.last}
                  helperText={
                    row.last !== undefined ? `last: ${row.last}` : ' '
                  }
                  inputProps={{ 'aria-label': `Parameter ${index + 1} value` }}
                  onChange={e => update(row.key, { value: e.target.value })}
                  style={{ flex: 2 }}
                />
                <IconButton
                  aria-label={`Remove parameter ${index + 1}`}
                  onClick={() =>
                    setRows(current => current.filter(r => r.key !== row.key))
                  }
                  style={{ marginTop: 12 }}
                >
                  <DeleteIcon fontSize="small" />
                </IconButton>
              </Box>
            ))}
            <Button
              size="small"
              onClick={() => setRows(current => [...current, newRow()])}
            >
              Add parameter
            </Button>
            {error && (
              <Typography color="error" role="alert">
                {error}
              </Typography>
            )}
          </>
        )}
      </DialogContent>
      <DialogActions>
        {started ? (
          <Button color="primary" onClick={onClose}>
            Close
          </Button>
        ) : (
          <>
            <Button onClick={onClose} disabled={busy}>
              Cancel
            </Button>
            <Button
              color="primary"
              variant="contained"
              onClick={start}
              disabled={busy || errors.size > 0}
            >
              {busy ? 'Starting…' : 'Start run'}
            </Button>
          </>
        )}
      </DialogActions>
    </Dialog>
  );
}
