import {
  Box,
  Chip,
  FormControlLabel,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
} from '@material-ui/core';
import { ComparedParam, ExperimentRun } from '@mlplatform/plugin-ml-common';
import { useState } from 'react';

const DIFFERS_BACKGROUND = 'rgba(237, 108, 2, 0.12)';

/**
 * The compared runs' parameters, one row each; rows where the runs
 * disagree are highlighted and marked, and can be shown alone.
 */
export function ParamDiffTable(props: {
  params: ComparedParam[];
  runs: ExperimentRun[];
  colors: Record<string, string>;
}) {
  const { runs, colors } = props;
  const differing = props.params.filter(p => p.differs).length;
  const [onlyDiffering, setOnlyDiffering] = useState(false);
  const params = onlyDiffering
    ? props.params.filter(p => p.differs)
    : props.params;
  return (
    <Box>
      <FormControlLabel
        control={
          <Switch
            size="small"
            checked={onlyDiffering}
            onChange={e => setOnlyDiffering(e.target.checked)}
          />
        }
        label={`Only the ${differing} differing parameter${
          differing === 1 ? '' : 's'
        }`}
      />
      <Box style={{ overflowX: 'auto' }}>
        <Table size="small" aria-label="Parameter diff">
          <TableHead>
            <TableRow>
              <TableCell>Parameter</TableCell>
              {runs.map(r => (
                <TableCell key={r.id} style={{ color: colors[r.id] }}>
                  {r.name ?? r.id}
                </TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {params.map(p => (
              <TableRow
                key={p.name}
                data-differs={p.differs}
                style={
                  p.differs
                    ? { backgroundColor: DIFFERS_BACKGROUND }
                    : undefined
                }
              >
                <TableCell style={{ whiteSpace: 'nowrap' }}>
                  {p.differs ? <strong>{p.name}</strong> : p.name}
                  {p.differs && (
                    <Chip
                      size="small"
                      label="differs"
                      style={{ marginLeft: 8 }}
                    />
                  )}
                </TableCell>
                {runs.map(r => (
                  <TableCell key={r.id}>{p.values[r.id] ?? '—'}</TableCell>
                ))}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Box>
    </Box>
  );
}
