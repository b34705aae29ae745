import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  AlertActionsResponse,
  CompareRunsRequest,
  CompareRunsResponse,
  DatasetFactsResponse,
  DatasetRef,
  ExperimentEntityRef,
  ExperimentRunsRequest,
  ExperimentRunsResponse,
  RunTensorBoardLaunch,
  RunTensorBoardRequest,
  RunTensorBoardResponse,
  CreateNotebookRequest,
  GpuHoursQuery,
  GpuHoursResponse,
  QueueHistoryQuery,
  QueueHistoryResponse,
  GpuQuotasFilter,
  GpuQuotasResponse,
  WaitEstimateQuery,
  WaitEstimateResponse,
  IdleNotebooksQuery,
  IdleNotebooksResponse,
  IdlePolicyRequest,
  LogLine,
  LogPodsResponse,
  LogStoreRequest,
  LogStoreResponse,
  LogsTargetRef,
  MlAuditEventsResponse,
  MlAuditQuery,
  MlHealthResponse,
  MlOverviewResponse,
  ModelHealthResponse,
  ModelRef,
  ModelVersionsResponse,
  ModelRolloutRequest,
  ModelRolloutResponse,
  ModelServingResponse,
  Notebook,
  NotebookProgressEvent,
  NotebookRef,
  NotebooksResponse,
  PipelineRef,
  PipelineRunsResponse,
  PodLogsRequest,
  PodLogsResponse,
  PromoteModelRequest,
  PromoteModelResponse,
  StartPipelineRunRequest,
  StartPipelineRunResponse,
} from '@mlplatform/plugin-ml-common';

// Defined with the common client; re-exported so this package's API keeps them.
export type {
  GpuQuotasFilter,
  ModelRef,
  NotebookRef,
  PipelineRef,
} from '@mlplatform/plugin-ml-common';

/** A GPU-hours request: the query of `GET /quotas/gpu-hours` without `format`. @public */
export type GpuHoursFilter = Omit<GpuHoursQuery, 'format'>;

/**
 * Talks to the ML backend (`/api/ml`).
 *
 * @public
 */
export interface MlApi {
  /** Version of the ML backend and the status of each integration. */
  getHealth(): Promise<MlHealthResponse>;
  /** The ML fleet at a glance: models by verdict, firing alerts, failed or stuck runs, GPUs per team. */
  getOverview(): Promise<MlOverviewResponse>;
  /** GPU quotas (ResourceQuota and Kueue) and which clusters answered. */
  getQuotas(filter?: GpuQuotasFilter): Promise<GpuQuotasResponse>;
  /** How long a Kueue workload of this shape would wait, and its place in line. */
  getWaitEstimate(query: WaitEstimateQuery): Promise<WaitEstimateResponse>;
  /** GPU-hours per team, cluster and GPU type per day or week. */
  getGpuHours(query?: GpuHoursFilter): Promise<GpuHoursResponse>;
  /** The same GPU-hours as CSV text, for a download. */
  getGpuHoursCsv(query?: GpuHoursFilter): Promise<string>;
  /**
   * A Kueue ClusterQueue's GPU usage against quota, pending workloads,
   * admissions and preemptions over its last days.
   */
  getQueueHistory(query: QueueHistoryQuery): Promise<QueueHistoryResponse>;
  /** The signed-in user's notebooks on every cluster. */
  listNotebooks(): Promise<NotebooksResponse>;
  /** Creates a notebook; rejects with the backend's reason when it refuses. */
  createNotebook(request: CreateNotebookRequest): Promise<Notebook>;
  /**
   * Scales a notebook to zero, keeping its workspace. Resolves once the
   * backend accepted it; list the notebooks again for the new phase.
   */
  stopNotebook(ref: NotebookRef): Promise<void>;
  /** Starts a stopped notebook again; resolves once accepted. */
  startNotebook(ref: NotebookRef): Promise<void>;
  /** Deletes a notebook and its workspace. */
  deleteNotebook(ref: NotebookRef): Promise<void>;
  /**
   * A JupyterHub notebook's spawn progress, event by event, until it is
   * ready (with the URL to open) or failed, or `signal` aborts. Optional:
   * without it the New notebook dialog closes as soon as the notebook exists.
   */
  followNotebookProgress?(
    ref: NotebookRef,
    signal?: AbortSignal,
  ): AsyncIterable<NotebookProgressEvent>;
  /**
   * Notebooks holding GPUs that DCGM saw idle (`mine: 'true'` for the
   * signed-in user's), or why that cannot be told (no Prometheus, no DCGM).
   * Optional: without it the idle-GPU cards are not shown.
   */
  getIdleNotebooks?(query?: IdleNotebooksQuery): Promise<IdleNotebooksResponse>;
  /** Exempts a notebook from the idle policy, or returns it to the default. */
  setNotebookIdlePolicy?(
    ref: NotebookRef,
    request: IdlePolicyRequest,
  ): Promise<void>;
  /**
   * Health of a Model against its SLO over `window` (`5m`..`7d`, e.g. `1h`):
   * verdict, objectives, chart series and firing alerts.
   */
  getModelHealth(ref: ModelRef, window?: string): Promise<ModelHealthResponse>;
  /**
   * What a Dataset's location says now (S3 prefix, PVC, Feast
   * materialization) and its freshness verdict.
   */
  getDatasetFacts(ref: DatasetRef): Promise<DatasetFactsResponse>;
  /** The versions of a Model in its registry, newest first. */
  getModelVersions(ref: ModelRef): Promise<ModelVersionsResponse>;
  /**
   * Every place a Model serves (InferenceServices and Deployments labelled
   * for it) across the clusters. Optional: without it the Serving card says
   * the backend does not offer it.
   */
  getModelServing?(ref: ModelRef): Promise<ModelServingResponse>;
  /**
   * Starts a canary of a version, promotes it or rolls it back; rejects with
   * the backend's reason (403 not an owner, 400 bad percent or version, ...).
   */
  rolloutModel?(
    ref: ModelRef,
    request: ModelRolloutRequest,
  ): Promise<ModelRolloutResponse>;
  /**
   * Moves an alias (e.g. `production`) to a version; rejects with the
   * backend's reason (403 not an owner, 400 bad alias, ...).
   */
  promoteModel(
    ref: ModelRef,
    request: PromoteModelRequest,
  ): Promise<PromoteModelResponse>;
  /**
   * The pipeline's recent runs from its orchestrator, newest first (at most
   * `limit`, default 20), with its schedule and next run. Rejects with the
   * backend's reason (503 orchestrator down or not configured).
   */
  getPipelineRuns(
    ref: PipelineRef,
    options?: { limit?: number },
  ): Promise<PipelineRunsResponse>;
  /**
   * Starts a run; rejects with the backend's reason (403 not allowed, 400 bad
   * parameters, 503 orchestrator down).
   */
  startPipelineRun(
    ref: PipelineRef,
    request: StartPipelineRunRequest,
  ): Promise<StartPipelineRunResponse>;
  /**
   * What the alert webhook did about a Model's alerts (retraining started,
   * duplicates, rate limits, failures), newest first.
   */
  getModelAlertActions(
    ref: ModelRef,
    options?: { limit?: number },
  ): Promise<AlertActionsResponse>;
  /**
   * One page of the ML audit trail, newest first: everyone's for holders of
   * `ml.audit.read`, else the caller's own (see `scope`).
   */
  getAuditEvents(query?: MlAuditQuery): Promise<MlAuditEventsResponse>;
  /**
   * The runs of a Model's or Pipeline's MLflow experiment (filtered, ordered,
   * limited), or `configured: false` with what to set. Rejects with the
   * backend's reason (404 unknown experiment, 503 MLflow down).
   */
  getExperimentRuns(
    ref: ExperimentEntityRef,
    request?: ExperimentRunsRequest,
  ): Promise<ExperimentRunsResponse>;
  /**
   * 2-5 runs of the entity's experiment side by side: each metric's history
   * per run and the parameter diff. Rejects with the backend's reason (400
   * more than 5 runs or a run of another experiment, 404 unknown runs).
   */
  compareExperimentRuns(
    ref: ExperimentEntityRef,
    request: CompareRunsRequest,
  ): Promise<CompareRunsResponse>;
  /**
   * A run's TensorBoard scalars (every tag, or `tags`) and the link that
   * opens TensorBoard on it, or `configured: false` with what to set.
   * Rejects with the backend's reason (400 a log dir outside the configured
   * roots, 404 unknown run, 503 TensorBoard down).
   */
  getRunTensorBoard(
    ref: ExperimentEntityRef,
    runId: string,
    request?: RunTensorBoardRequest,
  ): Promise<RunTensorBoardResponse>;
  /**
   * Starts the run's own TensorBoard on the Kubeflow cluster the backend
   * names (`cluster` of the scalars' answer), or returns the one it has.
   * Rejects with the backend's reason (403 not a member of the namespace's
   * team, 409 too many TensorBoards, 501 not configured).
   */
  startRunTensorBoard(
    ref: ExperimentEntityRef,
    runId: string,
  ): Promise<RunTensorBoardLaunch>;
  /**
   * Stops (deletes) the run's own TensorBoard on the cluster. Rejects with
   * the backend's reason (403 not its creator or not a member of the
   * namespace's team, 404 none running, 501 not configured).
   */
  stopRunTensorBoard(ref: ExperimentEntityRef, runId: string): Promise<void>;
  /**
   * The pods whose logs a Model's, Pipeline's or notebook's Logs card
   * offers, or `configured: false` with what to set. Rejects with 403 when
   * the caller may not read logs in any of their namespaces.
   */
  getLogPods(ref: LogsTargetRef): Promise<LogPodsResponse>;
  /** One container's lines (tail, since, search); rejects with the backend's reason. */
  getPodLogs(
    ref: LogsTargetRef,
    request: PodLogsRequest,
  ): Promise<PodLogsResponse>;
  /**
   * The container's last lines, then each new one as it is written, until
   * `signal` aborts or the container exits.
   */
  followPodLogs(
    ref: LogsTargetRef,
    request: PodLogsRequest,
    signal?: AbortSignal,
  ): AsyncIterable<LogLine>;
  /** The same lines as the text of a `.log` file, with timestamps. */
  downloadPodLogs(ref: LogsTargetRef, request: PodLogsRequest): Promise<string>;
  /** The entity's lines in the central log store (Loki) over a bounded window. */
  getLogStoreLines(
    ref: LogsTargetRef,
    request?: LogStoreRequest,
  ): Promise<LogStoreResponse>;
}

/** @public */
export const mlApiRef = createApiRef<MlApi>().with({
  id: 'ml',
  pluginId: 'ml',
});
