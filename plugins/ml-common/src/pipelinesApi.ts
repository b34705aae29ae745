/**
 * Types of the ML backend's pipeline-runs API:
 * `GET /api/ml/pipelines/:namespace/:name/runs` and `POST` to the same path.
 * See docs/pipelines.md.
 */

/**
 * Where a run is, mapped from each orchestrator's own states (Kubernetes Job
 * conditions, Argo phases, Kubeflow Pipelines runtime states, Airflow dag run
 * states).
 *
 * @public
 */
export type PipelineRunStatus =
  | 'pending'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'unknown';

/**
 * What started a run.
 *
 * - `schedule`: the orchestrator's own schedule (CronJob, CronWorkflow,
 *   Kubeflow recurring run, Airflow timetable).
 * - `manual`: a person, from the portal or the orchestrator's UI/CLI.
 * - `alert`: the ML backend's alert webhook (continuous training).
 * - `unknown`: the orchestrator does not say.
 *
 * @public
 */
export type PipelineRunTriggerType =
  | 'schedule'
  | 'manual'
  | 'alert'
  | 'unknown';

/**
 * What started a run, and who or what it was when known: a user entity ref
 * for `manual`, `<alertname> <fingerprint>` for `alert`.
 *
 * @public
 */
export interface PipelineRunTrigger {
  type: PipelineRunTriggerType;
  by?: string;
}

/**
 * One run of a pipeline.
 *
 * @public
 */
export interface PipelineRun {
  /** The orchestrator's id: Job or Workflow name, Kubeflow run_id, Airflow dag_run_id. */
  id: string;
  /** Display name where the orchestrator has one. */
  name?: string;
  status: PipelineRunStatus;
  /** The orchestrator's own state word, e.g. `Failed`, `SUCCEEDED`, `queued`. */
  rawStatus?: string;
  /** Why it failed or waits, when the orchestrator says. */
  message?: string;
  /** ISO 8601 times. */
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
  /** Seconds from start to finish, or to now while running. */
  durationSeconds?: number;
  trigger: PipelineRunTrigger;
  /** Run parameters as strings. */
  parameters: Record<string, string>;
  /** The model version the run produced, e.g. `v4` or an OCI reference, when known. */
  producedModelVersion?: string;
  /** Digests of the datasets it read, when known. */
  datasetDigests?: string[];
  /** Where the logs are (Airflow task logs, Argo/Kubeflow UI, a Kubernetes logs URL). */
  logsUrl?: string;
  /** The run in the orchestrator's own UI. */
  uiUrl?: string;
  /** The run's Tensorboard, when it has one. */
  tensorboardUrl?: string;
}

/**
 * Answer of `GET /api/ml/pipelines/:namespace/:name/runs`.
 *
 * @public
 */
export interface PipelineRunsResponse {
  /** Entity ref of the Pipeline, e.g. `pipeline:default/fraud-detector-training`. */
  pipelineRef: string;
  orchestrator: {
    type: string;
    id: string;
    cluster?: string;
    namespace?: string;
  };
  /** Newest first, at most `limit` (default 20). */
  runs: PipelineRun[];
  /** The Pipeline's `spec.schedule`, and its next time (ISO 8601, UTC) when it has one. */
  schedule?: string;
  nextRunAt?: string;
}

/**
 * Answer of `POST /api/ml/pipelines/:namespace/:name/runs` (201).
 *
 * @public
 */
export interface StartPipelineRunResponse {
  run: PipelineRun;
}
