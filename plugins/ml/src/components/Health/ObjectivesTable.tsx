import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import { ModelHealthObjective } from '@mlplatform/plugin-ml-common';
import { formatMs, formatNumber, formatPercent } from './format';
import { VerdictBadge } from './VerdictBadge';

const OBJECTIVES: Record<
  ModelHealthObjective['name'],
  { label: string; format: (v: number) => string }
> = {
  latencyP95Ms: { label: 'p95 latency', format: formatMs },
  errorRate: { label: 'Error rate', format: formatPercent },
  availability: { label: 'Availability', format: formatPercent },
  driftScore: { label: 'Drift score', format: v => formatNumber(v) },
  ttftP95Ms: { label: 'p95 time to first token', format: formatMs },
  tpotP95Ms: { label: 'p95 time per output token', format: formatMs },
  kvCacheUsage: { label: 'KV-cache use', format: formatPercent },
};

/**
 * The objectives of a Model's health answer: target, actual value, status.
 */
export function ObjectivesTable(props: {
  objectives: ModelHealthObjective[];
  /** Whether Prometheus was asked: if not, no objective could be judged. */
  measured: boolean;
}) {
  if (props.objectives.length === 0) {
    // Without a measurement an empty list says nothing about spec.slo.
    if (!props.measured) return null;
    return (
      <Typography variant="body2" color="textSecondary">
        No objectives: add spec.slo (latencyP95Ms, errorRate, availability) to
        the Model.
      </Typography>
    );
  }
  return (
    <Table size="small" aria-label="Objectives">
      <TableHead>
        <TableRow>
          <TableCell>Objective</TableCell>
          <TableCell>Target</TableCell>
          <TableCell>Actual</TableCell>
          <TableCell>Status</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {props.objectives.map(o => {
          const { label, format } = OBJECTIVES[o.name] ?? {
            label: o.name,
            format: (v: number) => formatNumber(v),
          };
          return (
            <TableRow key={o.name}>
              <TableCell>{label}</TableCell>
              <TableCell>
                {o.bound === 'max' ? '≤' : '≥'} {format(o.target)}
              </TableCell>
              <TableCell>
                {o.actual === null ? 'no data' : format(o.actual)}
              </TableCell>
              <TableCell>
                <VerdictBadge verdict={o.status} size="small" />
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
