import { Link } from '@backstage/core-components';
import {
  Box,
  Button,
  Checkbox,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Tooltip,
  Typography,
} from '@material-ui/core';
import ShowChartIcon from '@material-ui/icons/ShowChart';
import { EXPERIMENT_LIMITS, ExperimentRun } from '@mlplatform/plugin-ml-common';
import { formatDuration } from '../pipelines/format';
import { RunStatusChip } from '../pipelines/RunStatusChip';
import { absoluteTime } from '../pipelines/usePipelineRuns';
import { relativeTime } from '../shared/relativeTime';
import { CHIP_STATUS, formatMetric, shortCommit } from './format';
import { oneLine, wholeWords } from '../shared/tableCells';

/** The metric columns shown; the rest are in the comparison. */
const MAX_METRIC_COLUMNS = 4;

/**
 * The runs of an experiment, one row each, with a checkbox to pick runs
 * for the comparison (at most five) and, on runs that wrote TensorBoard
 * event files, a TensorBoard button.
 */
export function ExperimentRunsTable(props: {
  runs: ExperimentRun[];
  keyParams: string[];
  metricNames: string[];
  selected: string[];
  onToggle: (runId: string) => void;
  onTensorBoard?: (run: ExperimentRun) => void;
}) {
  const { runs, keyParams, selected, onToggle, onTensorBoard } = props;
  const metrics = props.metricNames.slice(0, MAX_METRIC_COLUMNS);
  const full = selected.length >= EXPERIMENT_LIMITS.maxCompare;
  return (
    <Box style={{ overflowX: 'auto' }}>
      <Table size="small" aria-label="Experiment runs">
        <TableHead>
          <TableRow>
            <TableCell padding="checkbox" />
            <TableCell style={oneLine}>Status</TableCell>
            <TableCell style={oneLine}>Run</TableCell>
            <TableCell style={oneLine}>Started</TableCell>
            <TableCell style={oneLine}>Duration</TableCell>
            <TableCell style={oneLine}>User</TableCell>
            <TableCell style={oneLine}>Commit</TableCell>
            {keyParams.map(p => (
              <TableCell key={`p-${p}`} style={oneLine}>
                {p}
              </TableCell>
            ))}
            {metrics.map(m => (
              <TableCell key={`m-${m}`} style={oneLine} align="right">
                {m}
              </TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {runs.map(run => {
            const label = run.name ?? run.id;
            const checked = selected.includes(run.id);
            return (
              <TableRow key={run.id} selected={checked}>
                <TableCell padding="checkbox">
                  <Tooltip
                    title={
                      full && !checked
                        ? `At most ${EXPERIMENT_LIMITS.maxCompare} runs can be compared`
                        : ''
                    }
                  >
                    <span>
                      <Checkbox
                        size="small"
                        checked={checked}
                        disabled={full && !checked}
                        onChange={() => onToggle(run.id)}
                        inputProps={{ 'aria-label': `Compare ${label}` }}
                      />
                    </span>
                  </Tooltip>
                </TableCell>
                <TableCell style={oneLine}>
                  <RunStatusChip
                    status={CHIP_STATUS[run.status]}
                    rawStatus={run.status.toUpperCase()}
                  />
                </TableCell>
                <TableCell style={{ ...wholeWords, minWidth: 160 }}>
                  <Link to={run.url} aria-label={`${label} in MLflow`}>
                    {label}
                  </Link>
                  {run.modelVersions.map(v => (
                    <Typography
                      key={`${v.name}/${v.version}`}
                      variant="caption"
                      display="block"
                    >
                      produced{' '}
                      <Link to={v.url}>
                        {v.name} v{v.version}
                      </Link>
                    </Typography>
                  ))}
                  {run.tensorboardLogDir && onTensorBoard && (
                    <Button
                      size="small"
                      color="primary"
                      startIcon={<ShowChartIcon fontSize="small" />}
                      onClick={() => onTensorBoard(run)}
                      aria-label={`TensorBoard of ${label}`}
                      style={{ padding: '0 4px', textTransform: 'none' }}
                    >
                      TensorBoard
                    </Button>
                  )}
                </TableCell>
                <TableCell style={oneLine}>
                  <Tooltip title={absoluteTime(run.startedAt)}>
                    <span>{relativeTime(run.startedAt) ?? '—'}</span>
                  </Tooltip>
                </TableCell>
                <TableCell style={oneLine}>
                  {formatDuration(run.durationSeconds) ?? '—'}
                </TableCell>
                <TableCell style={oneLine}>{run.user ?? '—'}</TableCell>
                <TableCell style={oneLine}>
                  {run.gitCommit ? (
                    <Tooltip title={run.gitCommit}>
                      <code>{shortCommit(run.gitCommit)}</code>
                    </Tooltip>
                  ) : (
                    '—'
                  )}
                </TableCell>
                {keyParams.map(p => (
                  <TableCell key={`p-${p}`} style={oneLine}>
                    {run.params[p] ?? '—'}
                  </TableCell>
                ))}
                {metrics.map(m => (
                  <TableCell key={`m-${m}`} style={oneLine} align="right">
                    {formatMetric(run.metrics[m])}
                  </TableCell>
                ))}
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </Box>
  );
}
