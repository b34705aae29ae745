import { MlflowRestClient } from './mlflowClient';

/**
 * One training run to seed: its params, tags and a history per metric (one
 * value per step), as a training loop would log them.
 *
 * @public
 */
export interface MlflowSeedRun {
  name: string;
  /** MLflow run status at the end; default `FINISHED`. */
  status?: 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';
  params?: Record<string, string>;
  /** Run tags besides the two below, e.g. `mlflow.source.name`. */
  tags?: Record<string, string>;
  /** `mlflow.user`. */
  user?: string;
  /** `mlflow.source.git.commit`. */
  gitCommit?: string;
  /** Values by step (index), e.g. a loss curve. */
  metrics?: Record<string, number[]>;
  /** ms since epoch; default now. */
  startTime?: number;
  /** Wall-clock ms per step (the metric timestamps); default 1000. */
  stepMs?: number;
}

/**
 * What {@link seedMlflowExperiment} created.
 *
 * @public
 */
export interface MlflowSeededExperiment {
  experimentId: string;
  /** Run ids by run name. */
  runIds: Record<string, string>;
}

const keyValues = (record: Record<string, string> = {}) =>
  Object.entries(record).map(([key, value]) => ({ key, value }));

// MLflow's log-batch takes at most 1000 metrics per call.
const BATCH = 1000;

/**
 * Creates an experiment (or reuses the one of that name) with these runs
 * and their metric histories, through the REST API only, the way a
 * training script's `mlflow.log_*` calls fill it. For the experiments tests
 * and the demo.
 *
 * @public
 */
export async function seedMlflowExperiment(
  client: MlflowRestClient,
  experiment: { name: string; runs: MlflowSeedRun[] },
): Promise<MlflowSeededExperiment> {
  let experimentId: string;
  try {
    const res = await client.get('experiments/get-by-name', {
      experiment_name: experiment.name,
    });
    experimentId = res.experiment.experiment_id;
  } catch {
    const res = await client.post('experiments/create', {
      name: experiment.name,
    });
    experimentId = res.experiment_id;
  }
  const runIds: Record<string, string> = {};
  for (const r of experiment.runs) {
    const start = r.startTime ?? Date.now();
    const stepMs = r.stepMs ?? 1000;
    const tags = {
      ...r.tags,
      ...(r.user ? { 'mlflow.user': r.user } : {}),
      ...(r.gitCommit ? { 'mlflow.source.git.commit': r.gitCommit } : {}),
    };
    const { run } = await client.post('runs/create', {
      experiment_id: experimentId,
      run_name: r.name,
      start_time: start,
      tags: keyValues(tags),
    });
    const runId: string = run.info.run_id;
    runIds[r.name] = runId;
    const points = Object.entries(r.metrics ?? {}).flatMap(([key, values]) =>
      values.map((value, step) => ({
        key,
        value,
        step,
        timestamp: start + step * stepMs,
      })),
    );
    await client.post('runs/log-batch', {
      run_id: runId,
      params: keyValues(r.params),
      metrics: points.slice(0, BATCH),
    });
    for (let i = BATCH; i < points.length; i += BATCH) {
      await client.post('runs/log-batch', {
        run_id: runId,
        metrics: points.slice(i, i + BATCH),
      });
    }
    const steps = Math.max(
      0,
      ...Object.values(r.metrics ?? {}).map(v => v.length),
    );
    const status = r.status ?? 'FINISHED';
    await client.post('runs/update', {
      run_id: runId,
      status,
      ...(status === 'RUNNING' ? {} : { end_time: start + steps * stepMs }),
    });
  }
  return { experimentId, runIds };
}
