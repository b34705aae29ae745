import {
  ComparedParam,
  EXPERIMENT_RUN_STATUSES,
  ExperimentRun,
  ExperimentRunModelVersion,
  ExperimentRunStatus,
  MetricHistoryPoint,
  TENSORBOARD_LOGDIR_TAG,
} from '@mlplatform/plugin-ml-common';
import type {
  MlflowMetricPoint,
  MlflowModelVersion,
  MlflowRun,
} from './MlflowTrackingClient';

const GIT_COMMIT_TAG = 'mlflow.source.git.commit';
const USER_TAG = 'mlflow.user';
const RUN_NAME_TAG = 'mlflow.runName';

const iso = (ms: number | string | undefined) =>
  ms === undefined || ms === null || Number.isNaN(Number(ms)) || !Number(ms)
    ? undefined
    : new Date(Number(ms)).toISOString();

function status(raw: string): ExperimentRunStatus {
  const s = raw.toLowerCase() as ExperimentRunStatus;
  return EXPERIMENT_RUN_STATUSES.includes(s) ? s : 'running';
}

/** Links into MLflow's UI (its single-page app routes). @internal */
export const mlflowLinks = {
  experiment: (base: string, experimentId: string) =>
    `${base}/#/experiments/${encodeURIComponent(experimentId)}`,
  run: (base: string, experimentId: string, runId: string) =>
    `${base}/#/experiments/${encodeURIComponent(
      experimentId,
    )}/runs/${encodeURIComponent(runId)}`,
  modelVersion: (base: string, name: string, version: string) =>
    `${base}/#/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(
      version,
    )}`,
};

/** Model versions by the run they were registered from. @internal */
export function versionsByRun(
  base: string,
  versions: MlflowModelVersion[],
): Map<string, ExperimentRunModelVersion[]> {
  const byRun = new Map<string, ExperimentRunModelVersion[]>();
  for (const v of versions) {
    if (!v.run_id) continue;
    byRun.set(v.run_id, [
      ...(byRun.get(v.run_id) ?? []),
      {
        name: v.name,
        version: String(v.version),
        url: mlflowLinks.modelVersion(base, v.name, String(v.version)),
      },
    ]);
  }
  return byRun;
}

/** A run of the API from MLflow's. @internal */
export function toExperimentRun(
  base: string,
  run: MlflowRun,
  modelVersions: ExperimentRunModelVersion[] = [],
  now = Date.now(),
): ExperimentRun {
  const { info, data } = run;
  const tags = Object.fromEntries(
    (data?.tags ?? []).map(t => [t.key, t.value]),
  );
  const startedAt = iso(info.start_time);
  const finishedAt = iso(info.end_time);
  const start = Number(info.start_time);
  const end = finishedAt ? Number(info.end_time) : now;
  return {
    id: info.run_id,
    name: info.run_name || tags[RUN_NAME_TAG] || undefined,
    status: status(info.status),
    startedAt,
    finishedAt,
    durationSeconds: startedAt
      ? Math.max(0, Math.round((end - start) / 1000))
      : undefined,
    user: tags[USER_TAG] || info.user_id || undefined,
    gitCommit: tags[GIT_COMMIT_TAG] || undefined,
    params: Object.fromEntries((data?.params ?? []).map(p => [p.key, p.value])),
    metrics: Object.fromEntries(
      (data?.metrics ?? [])
        .filter(m => typeof m.value === 'number')
        .map(m => [m.key, m.value]),
    ),
    url: mlflowLinks.run(base, info.experiment_id, info.run_id),
    modelVersions,
    ...(tags[TENSORBOARD_LOGDIR_TAG]
      ? { tensorboardLogDir: tags[TENSORBOARD_LOGDIR_TAG] }
      : {}),
  };
}

/**
 * The parameters worth a column in the runs table: those whose values differ
 * between the runs (what a search varied), else the first ones by name.
 *
 * @internal
 */
export function keyParams(runs: ExperimentRun[], max = 6): string[] {
  const names = [...new Set(runs.flatMap(r => Object.keys(r.params)))].sort();
  const differing = names.filter(
    n => new Set(runs.map(r => r.params[n])).size > 1,
  );
  return (differing.length ? differing : names).slice(0, max);
}

/** Every parameter of the runs, with whether they disagree on it. @internal */
export function paramDiff(runs: ExperimentRun[]): ComparedParam[] {
  const names = [...new Set(runs.flatMap(r => Object.keys(r.params)))].sort();
  return names.map(name => {
    const values = Object.fromEntries(runs.map(r => [r.id, r.params[name]]));
    return {
      name,
      values,
      differs: new Set(runs.map(r => r.params[name])).size > 1,
    };
  });
}

/**
 * A history in step order, thinned to at most `max` points (evenly spaced,
 * the first and last kept) so a chart of a long run stays a page of JSON.
 *
 * @internal
 */
export function historyPoints(
  raw: MlflowMetricPoint[],
  max: number,
): { points: MetricHistoryPoint[]; downsampled: boolean } {
  const points = raw
    .map(p => ({
      step: Number(p.step ?? 0),
      timestamp: Number(p.timestamp ?? 0),
      value: Number(p.value),
    }))
    .filter(p => Number.isFinite(p.value))
    .sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
  if (points.length <= max) return { points, downsampled: false };
  const every = (points.length - 1) / (max - 1);
  return {
    points: Array.from(
      { length: max },
      (_, i) => points[Math.round(i * every)],
    ),
    downsampled: true,
  };
}
