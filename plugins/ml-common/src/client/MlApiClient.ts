/*
 * Over 400 lines because it is the one client of /api/ml: one short method
 * per route, side by side, as @backstage/catalog-client's CatalogClient has
 * them; the streaming readers live in files of their own.
 */
import { ResponseError } from '@backstage/errors';
// From the package's barrel: the request and response types move between its
// files as the contract is consolidated, the names stay.
import type {
  AlertActionsResponse,
  CompareRunsRequest,
  CompareRunsResponse,
  ExperimentEntityRef,
  ExperimentRunsRequest,
  ExperimentRunsResponse,
  CreateNotebookRequest,
  DatasetFactsResponse,
  GpuHoursQuery,
  GpuHoursResponse,
  QueueHistoryQuery,
  QueueHistoryResponse,
  GpuQuotasResponse,
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
  ModelVersionsResponse,
  ModelServingResponse,
  ModelDeploymentRequest,
  ModelDeploymentResponse,
  ModelRolloutRequest,
  ModelRolloutResponse,
  Notebook,
  NotebookProgressEvent,
  NotebooksResponse,
  PipelineRunsResponse,
  PodLogsRequest,
  PodLogsResponse,
  PromoteModelRequest,
  PromoteModelResponse,
  RunTensorBoardLaunch,
  RunTensorBoardRequest,
  WaitEstimateQuery,
  WaitEstimateResponse,
  RunTensorBoardResponse,
  StartPipelineRunRequest,
  StartPipelineRunResponse,
} from '..';
import {
  GpuQuotasFilter,
  MlApiClientOptions,
  MlRequestOptions,
  DatasetRef,
  ModelRef,
  NotebookRef,
  PipelineRef,
} from './types';
import { readServerSentEvents } from './serverSentEvents';
import { parseFollowedLine, readTextLines } from './textLines';

function path(...segments: string[]): string {
  return `/${segments.map(encodeURIComponent).join('/')}`;
}

const modelPath = (ref: ModelRef) => path('models', ref.namespace, ref.name);
const pipelineRunsPath = (ref: PipelineRef) =>
  `${path('pipelines', ref.namespace, ref.name)}/runs`;
const experimentPath = (ref: ExperimentEntityRef) =>
  `${path(`${ref.kind}s`, ref.namespace, ref.name)}/experiment`;
const notebookPath = (ref: NotebookRef) =>
  path('notebooks', ref.cluster, ref.namespace, ref.name);
const logsPath = (ref: LogsTargetRef) =>
  `${
    ref.kind === 'notebook'
      ? notebookPath(ref)
      : path(`${ref.kind}s`, ref.namespace, ref.name)
  }/logs`;

/** `?a=1&b=2` of the values that are set, or nothing. */
function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `?${search}` : '';
}

/**
 * The one client of the ML backend's HTTP API (`/api/ml`), for the browser
 * and for backend modules alike (modelled on `@backstage/catalog-client`).
 *
 * A refusal rejects with the `ResponseError` of `@backstage/errors`: its
 * `statusCode`, `body` and `cause` tell a 403 (`body.error.name`
 * `NotAllowedError`) from a 400 or a 503, and its `message` is the ML
 * backend's own reason (e.g. "asked for 4 nvidia.com/gpu in fraud on
 * gpu-cluster-a; 3 free, 0 borrowable"), which is what a scaffolder log or a
 * provider warning has to show.
 *
 * Not covered: `POST /alerts/webhook`, which only Alertmanager calls, with a
 * shared secret instead of a Backstage token.
 *
 * @public
 */
export class MlApiClient {
  private readonly discoveryApi: MlApiClientOptions['discoveryApi'];
  private readonly fetchApi: { fetch: typeof fetch };

  constructor(options: MlApiClientOptions) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi ?? { fetch: (...args) => fetch(...args) };
  }

  /** `GET /health`: the backend's version and each integration's status. */
  async getHealth(options?: MlRequestOptions): Promise<MlHealthResponse> {
    return this.request('GET', '/health', options);
  }

  /** `GET /quotas`: GPU quotas (ResourceQuota and Kueue) and which clusters answered. */
  async getQuotas(
    filter: GpuQuotasFilter = {},
    options?: MlRequestOptions,
  ): Promise<GpuQuotasResponse> {
    const { cluster, namespace, team } = filter;
    return this.request(
      'GET',
      `/quotas${query({ cluster, namespace, team })}`,
      options,
    );
  }

  /** `GET /notebooks`: the calling user's notebooks on every cluster. */
  async listNotebooks(options?: MlRequestOptions): Promise<NotebooksResponse> {
    return this.request('GET', '/notebooks', options);
  }

  /** `POST /notebooks`: creates a notebook as the calling user. */
  async createNotebook(
    request: CreateNotebookRequest,
    options?: MlRequestOptions,
  ): Promise<Notebook> {
    return this.request('POST', '/notebooks', options, request);
  }

  /** `GET /notebooks/idle`: notebooks holding GPUs that sat idle, with why there are none. */
  async getIdleNotebooks(
    request: IdleNotebooksQuery = {},
    options?: MlRequestOptions,
  ): Promise<IdleNotebooksResponse> {
    return this.request(
      'GET',
      `/notebooks/idle${query({ ...request })}`,
      options,
    );
  }

  /** `PUT /notebooks/:cluster/:namespace/:name/idle-policy`: the owner's opt-out. */
  async setNotebookIdlePolicy(
    ref: NotebookRef,
    request: IdlePolicyRequest,
    options?: MlRequestOptions,
  ): Promise<void> {
    await this.request(
      'PUT',
      `${notebookPath(ref)}/idle-policy`,
      options,
      request,
    );
  }

  /** `POST /notebooks/:cluster/:namespace/:name/stop`: scales it to zero, keeping its workspace. */
  async stopNotebook(
    ref: NotebookRef,
    options?: MlRequestOptions,
  ): Promise<void> {
    await this.request('POST', `${notebookPath(ref)}/stop`, options);
  }

  /** `POST /notebooks/:cluster/:namespace/:name/start`: starts a stopped notebook. */
  async startNotebook(
    ref: NotebookRef,
    options?: MlRequestOptions,
  ): Promise<void> {
    await this.request('POST', `${notebookPath(ref)}/start`, options);
  }

  /** `DELETE /notebooks/:cluster/:namespace/:name`: deletes it and its workspace. */
  async deleteNotebook(
    ref: NotebookRef,
    options?: MlRequestOptions,
  ): Promise<void> {
    await this.request('DELETE', notebookPath(ref), options);
  }

  /**
   * `GET /models/:namespace/:name/health`: the Model's health against its
   * SLO over `window` (`5m`..`7d`; the backend's default is `1h`).
   */
  async getModelHealth(
    ref: ModelRef,
    request: { window?: string } = {},
    options?: MlRequestOptions,
  ): Promise<ModelHealthResponse> {
    return this.request(
      'GET',
      `${modelPath(ref)}/health${query({ window: request.window })}`,
      options,
    );
  }

  /**
   * `GET /datasets/:namespace/:name/facts`: what the Dataset's location says
   * now (S3 prefix, PVC, Feast materialization) and its freshness verdict.
   */
  async getDatasetFacts(
    ref: DatasetRef,
    options?: MlRequestOptions,
  ): Promise<DatasetFactsResponse> {
    return this.request(
      'GET',
      `${path('datasets', ref.namespace, ref.name)}/facts`,
      options,
    );
  }

  /** `GET /models/:namespace/:name/versions`: its versions in its registry, newest first. */
  async getModelVersions(
    ref: ModelRef,
    options?: MlRequestOptions,
  ): Promise<ModelVersionsResponse> {
    return this.request('GET', `${modelPath(ref)}/versions`, options);
  }

  /** `POST /models/:namespace/:name/aliases`: moves an alias to a version (promotion). */
  async promoteModel(
    ref: ModelRef,
    request: PromoteModelRequest,
    options?: MlRequestOptions,
  ): Promise<PromoteModelResponse> {
    // Exactly the contract's fields: the backend refuses unknown ones.
    const { alias, version } = request;
    return this.request('POST', `${modelPath(ref)}/aliases`, options, {
      alias,
      version,
    });
  }

  /** `GET /models/:namespace/:name/serving`: every place the Model serves, across the clusters. */
  async getModelServing(
    ref: ModelRef,
    options?: MlRequestOptions,
  ): Promise<ModelServingResponse> {
    return this.request('GET', `${modelPath(ref)}/serving`, options);
  }

  /** `POST /models/:namespace/:name/rollout`: starts a canary, promotes it or rolls it back. */
  async rolloutModel(
    ref: ModelRef,
    request: ModelRolloutRequest,
    options?: MlRequestOptions,
  ): Promise<ModelRolloutResponse> {
    return this.request('POST', `${modelPath(ref)}/rollout`, options, request);
  }

  /**
   * `POST /models/:namespace/:name/deployments`: serves a registry version
   * (KServe InferenceService, else Deployment + Service); with `dryRun`,
   * checks and returns the manifests only.
   */
  async deployModel(
    ref: ModelRef,
    request: ModelDeploymentRequest,
    options?: MlRequestOptions,
  ): Promise<ModelDeploymentResponse> {
    return this.request(
      'POST',
      `${modelPath(ref)}/deployments`,
      options,
      request,
    );
  }

  /** `GET /models/:namespace/:name/alert-actions`: what the alert webhook did, newest first. */
  async getModelAlertActions(
    ref: ModelRef,
    request: { limit?: number } = {},
    options?: MlRequestOptions,
  ): Promise<AlertActionsResponse> {
    return this.request(
      'GET',
      `${modelPath(ref)}/alert-actions${query({ limit: request.limit })}`,
      options,
    );
  }

  /** `GET /pipelines/:namespace/:name/runs`: recent runs, schedule and next run. */
  async getPipelineRuns(
    ref: PipelineRef,
    request: { limit?: number } = {},
    options?: MlRequestOptions,
  ): Promise<PipelineRunsResponse> {
    return this.request(
      'GET',
      `${pipelineRunsPath(ref)}${query({ limit: request.limit })}`,
      options,
    );
  }

  /** `POST /pipelines/:namespace/:name/runs`: starts a run as the calling user. */
  async startPipelineRun(
    ref: PipelineRef,
    request: StartPipelineRunRequest,
    options?: MlRequestOptions,
  ): Promise<StartPipelineRunResponse> {
    return this.request('POST', pipelineRunsPath(ref), options, {
      parameters: request.parameters ?? {},
    });
  }

  /** `GET /audit`: one page of the ML audit trail, newest first. */
  async getAuditEvents(
    request: MlAuditQuery = {},
    options?: MlRequestOptions,
  ): Promise<MlAuditEventsResponse> {
    return this.request('GET', `/audit${query({ ...request })}`, options);
  }

  /**
   * `GET /{models,pipelines}/:namespace/:name/experiment/runs`: the runs of
   * the entity's MLflow experiment, or `configured: false` with the reason.
   */
  async getExperimentRuns(
    ref: ExperimentEntityRef,
    request: ExperimentRunsRequest = {},
    options?: MlRequestOptions,
  ): Promise<ExperimentRunsResponse> {
    return this.request(
      'GET',
      `${experimentPath(ref)}/runs${query({ ...request })}`,
      options,
    );
  }

  /**
   * `GET /{models,pipelines}/:namespace/:name/experiment/compare?runs=a,b`:
   * 2-5 runs of the entity's experiment, each metric's history per run and
   * the parameter diff.
   */
  async compareExperimentRuns(
    ref: ExperimentEntityRef,
    request: CompareRunsRequest,
    options?: MlRequestOptions,
  ): Promise<CompareRunsResponse> {
    return this.request(
      'GET',
      `${experimentPath(ref)}/compare${query({
        runs: request.runs.join(','),
        metrics: request.metrics?.join(','),
      })}`,
      options,
    );
  }

  /**
   * `GET /{models,pipelines}/:namespace/:name/experiment/runs/:runId/tensorboard`:
   * the run's TensorBoard scalars (optionally only `tags`) and the link that
   * opens TensorBoard on it, or `configured: false` with the reason.
   */
  async getRunTensorBoard(
    ref: ExperimentEntityRef,
    runId: string,
    request: RunTensorBoardRequest = {},
    options?: MlRequestOptions,
  ): Promise<RunTensorBoardResponse> {
    return this.request(
      'GET',
      `${experimentPath(ref)}${path('runs', runId)}/tensorboard${query({
        tags: request.tags?.join(','),
      })}`,
      options,
    );
  }

  /**
   * `POST /{models,pipelines}/:namespace/:name/experiment/runs/:runId/tensorboard`:
   * starts the run's own TensorBoard on the Kubeflow cluster the backend
   * names (or returns the one it has).
   */
  async startRunTensorBoard(
    ref: ExperimentEntityRef,
    runId: string,
    options?: MlRequestOptions,
  ): Promise<RunTensorBoardLaunch> {
    return this.request(
      'POST',
      `${experimentPath(ref)}${path('runs', runId)}/tensorboard`,
      options,
    );
  }

  /**
   * `DELETE /{models,pipelines}/:namespace/:name/experiment/runs/:runId/tensorboard`:
   * stops the run's own TensorBoard (its creator only).
   */
  async stopRunTensorBoard(
    ref: ExperimentEntityRef,
    runId: string,
    options?: MlRequestOptions,
  ): Promise<void> {
    await this.request(
      'DELETE',
      `${experimentPath(ref)}${path('runs', runId)}/tensorboard`,
      options,
    );
  }

  /**
   * `GET /{models,pipelines}/:namespace/:name/logs/pods` (or a notebook's):
   * the pods whose logs the entity's Logs card offers, on every cluster.
   */
  async getLogPods(
    ref: LogsTargetRef,
    options?: MlRequestOptions,
  ): Promise<LogPodsResponse> {
    return this.request('GET', `${logsPath(ref)}/pods`, options);
  }

  /**
   * `GET .../logs?cluster&podNamespace&pod&container&since&tail&search`:
   * one container's lines, oldest first.
   */
  async getPodLogs(
    ref: LogsTargetRef,
    request: PodLogsRequest,
    options?: MlRequestOptions,
  ): Promise<PodLogsResponse> {
    return this.request(
      'GET',
      `${logsPath(ref)}${query({ ...request })}`,
      options,
    );
  }

  /**
   * `GET .../logs?download=true`: the same lines as a text file (with
   * timestamps), for saving.
   */
  async downloadPodLogs(
    ref: LogsTargetRef,
    request: PodLogsRequest,
    options?: MlRequestOptions,
  ): Promise<string> {
    const response = await this.send(
      'GET',
      `${logsPath(ref)}${query({ ...request, download: 'true' })}`,
      options,
    );
    return response.text();
  }

  /**
   * `GET /{models,pipelines}/:namespace/:name/logs/store`: the entity's
   * lines in the central log store (Loki) over a bounded window.
   */
  async getLogStoreLines(
    ref: LogsTargetRef,
    request: LogStoreRequest = {},
    options?: MlRequestOptions,
  ): Promise<LogStoreResponse> {
    return this.request(
      'GET',
      `${logsPath(ref)}/store${query({ ...request })}`,
      options,
    );
  }

  /**
   * `GET /overview`: the ML fleet at a glance (models by verdict, firing
   * alerts, failed or stuck runs, GPUs per team), as the caller may see it.
   */
  /**
   * `GET /quotas/wait-estimate`: how long a Kueue workload of this shape
   * would wait (p50 / p90 with their sample count, or not enough history)
   * and the place it would take in its queue now.
   */
  async getWaitEstimate(
    request: WaitEstimateQuery,
    options?: MlRequestOptions,
  ): Promise<WaitEstimateResponse> {
    const { cluster, queue, namespace, gpus, gpuResource, flavor } = request;
    return this.request(
      'GET',
      `/quotas/wait-estimate${query({
        cluster,
        queue,
        namespace,
        gpus,
        gpuResource,
        flavor,
      })}`,
      options,
    );
  }

  /** `GET /quotas/gpu-hours`: GPU-hours per team, cluster and GPU type per day or week. */
  async getGpuHours(
    request: Omit<GpuHoursQuery, 'format'> = {},
    options?: MlRequestOptions,
  ): Promise<GpuHoursResponse> {
    const { days, granularity, cluster, team } = request;
    return this.request(
      'GET',
      `/quotas/gpu-hours${query({ days, granularity, cluster, team })}`,
      options,
    );
  }

  /** `GET /quotas/gpu-hours?format=csv`: the same numbers as CSV text. */
  async getGpuHoursCsv(
    request: Omit<GpuHoursQuery, 'format'> = {},
    options?: MlRequestOptions,
  ): Promise<string> {
    const { days, granularity, cluster, team } = request;
    const response = await this.send(
      'GET',
      `/quotas/gpu-hours${query({
        days,
        granularity,
        cluster,
        team,
        format: 'csv',
      })}`,
      options,
    );
    return response.text();
  }

  /** `GET /quotas/queue-history`: a Kueue ClusterQueue's last days from Kueue's metrics. */
  async getQueueHistory(
    request: QueueHistoryQuery,
    options?: MlRequestOptions,
  ): Promise<QueueHistoryResponse> {
    const { cluster, queue, days } = request;
    return this.request(
      'GET',
      `/quotas/queue-history${query({ cluster, queue, days })}`,
      options,
    );
  }

  async getOverview(options?: MlRequestOptions): Promise<MlOverviewResponse> {
    return this.request('GET', '/overview', options);
  }

  /**
   * `GET /notebooks/:cluster/:namespace/:name/progress`: a JupyterHub
   * notebook's spawn progress, event by event, ending after the `ready` (with
   * the URL to open) or `failed` event, or when `signal` aborts. Read through
   * `fetchApi` rather than `EventSource`, so the caller's token goes along.
   */
  async *followNotebookProgress(
    ref: NotebookRef,
    options?: MlRequestOptions & { signal?: AbortSignal },
  ): AsyncGenerator<NotebookProgressEvent> {
    const baseUrl = await this.discoveryApi.getBaseUrl('ml');
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (options?.token) headers.Authorization = `Bearer ${options.token}`;
    const response = await this.fetchApi.fetch(
      `${baseUrl}${notebookPath(ref)}/progress`,
      { headers, ...(options?.signal ? { signal: options.signal } : {}) },
    );
    if (!response.ok) throw await responseError(response);
    if (!response.body) return;
    for await (const data of readServerSentEvents(response.body)) {
      yield JSON.parse(data) as NotebookProgressEvent;
    }
  }

  /**
   * `GET .../logs?follow=true`: the container's last `tail` lines, then
   * each new line as it is written, until `signal` aborts or the container
   * exits (the backend streams chunked text).
   */
  async *followPodLogs(
    ref: LogsTargetRef,
    request: PodLogsRequest,
    options?: MlRequestOptions & { signal?: AbortSignal },
  ): AsyncGenerator<LogLine> {
    const baseUrl = await this.discoveryApi.getBaseUrl('ml');
    const headers: Record<string, string> = { Accept: 'text/plain' };
    if (options?.token) headers.Authorization = `Bearer ${options.token}`;
    const response = await this.fetchApi.fetch(
      `${baseUrl}${logsPath(ref)}${query({ ...request, follow: 'true' })}`,
      { headers, ...(options?.signal ? { signal: options.signal } : {}) },
    );
    if (!response.ok) throw await responseError(response);
    if (!response.body) return;
    for await (const raw of readTextLines(response.body)) {
      yield parseFollowedLine(raw);
    }
  }

  private async request<T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    pathAndQuery: string,
    options: MlRequestOptions | undefined,
    body?: unknown,
  ): Promise<T> {
    const response = await this.send(method, pathAndQuery, options, body);
    if (response.status === 204) {
      return undefined as T;
    }
    return (await response.json()) as T;
  }

  /** The response of a request that succeeded; a refusal throws its ResponseError. */
  private async send(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    pathAndQuery: string,
    options: MlRequestOptions | undefined,
    body?: unknown,
  ): Promise<Response> {
    const baseUrl = await this.discoveryApi.getBaseUrl('ml');
    const headers: Record<string, string> = {};
    if (options?.token) headers.Authorization = `Bearer ${options.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await this.fetchApi.fetch(`${baseUrl}${pathAndQuery}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) {
      throw await responseError(response);
    }
    return response;
  }
}

/**
 * `ResponseError.fromResponse`, with the backend's reason as the message:
 * its own message only says "Request failed with 403 Forbidden", and the
 * scaffolder logs an action's error as `name: message`. Type, status code,
 * body and cause are left as they are.
 */
async function responseError(response: Response): Promise<ResponseError> {
  const error = await ResponseError.fromResponse(response);
  const reason = error.body?.error?.message;
  if (reason) error.message = reason;
  return error;
}
