import { ExperimentRunStatus } from '@mlplatform/plugin-ml-common';

/** MLflow's run states in the chips the pipeline runs use. */
export const CHIP_STATUS = {
  running: 'running',
  scheduled: 'pending',
  finished: 'succeeded',
  failed: 'failed',
  killed: 'cancelled',
} as const satisfies Record<ExperimentRunStatus, string>;

/** One colour per compared run (at most five), distinct for colour-blind readers too. */
export const RUN_COLORS = [
  '#1565c0',
  '#e65100',
  '#2e7d32',
  '#6a1b9a',
  '#c62828',
];

/** A metric value in 4 significant digits: 0.9512, 1234, 1.2e-5. */
export function formatMetric(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

/** A git commit as its usual short form. */
export function shortCommit(commit: string | undefined): string | undefined {
  return commit ? commit.slice(0, 7) : undefined;
}
