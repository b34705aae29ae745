import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
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
  GpuHoursResponse,
  QueueHistoryQuery,
  QueueHistoryResponse,
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
  MlApiClient,
  MlAuditEventsResponse,
  MlAuditQuery,
  MlHealthResponse,
  MlOverviewResponse,
  ModelHealthResponse,
  ModelVersionsResponse,
  ModelRolloutRequest,
  ModelRolloutResponse,
  ModelServingResponse,
  Notebook,
  NotebookProgressEvent,
  NotebooksResponse,
  PipelineRunsResponse,
  PodLogsRequest,
  PodLogsResponse,
  PromoteModelRequest,
  PromoteModelResponse,
  StartPipelineRunRequest,
  StartPipelineRunResponse,
} from '@mlplatform/plugin-ml-common';
import {
  GpuHoursFilter,
  GpuQuotasFilter,
  MlApi,
  ModelRef,
  NotebookRef,
  PipelineRef,
} from './MlApi';

/**
 * Default {@link MlApi} implementation: the common `MlApiClient` over the
 * app's discovery and fetch APIs (the latter adds the user's token). It
 * rejects with that client's `ResponseError`s.
 *
 * @public
 */
export class MlClient implements MlApi {
  private readonly client: MlApiClient;
  /**
   * Health requests in flight, shared: a Model page's Health and Alerts
   * cards ask the same answer as they mount, and the later one otherwise
   * waited on a second round trip.
   */
  private readonly healthInFlight = new Map<
    string,
    Promise<ModelHealthResponse>
  >();

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.client = new MlApiClient(options);
  }

  getHealth(): Promise<MlHealthResponse> {
    return this.client.getHealth();
  }

  getOverview(): Promise<MlOverviewResponse> {
    return this.client.getOverview();
  }

  getQuotas(filter?: GpuQuotasFilter): Promise<GpuQuotasResponse> {
    return this.client.getQuotas(filter);
  }

  getWaitEstimate(query: WaitEstimateQuery): Promise<WaitEstimateResponse> {
    return this.client.getWaitEstimate(query);
  }

  getGpuHours(query?: GpuHoursFilter): Promise<GpuHoursResponse> {
    return this.client.getGpuHours(query);
  }

  getGpuHoursCsv(query?: GpuHoursFilter): Promise<string> {
    return this.client.getGpuHoursCsv(query);
  }

  getQueueHistory(query: QueueHistoryQuery): Promise<QueueHistoryResponse> {
    return this.client.getQueueHistory(query);
  }

  listNotebooks(): Promise<NotebooksResponse> {
    return this.client.listNotebooks();
  }

  createNotebook(request: CreateNotebookRequest): Promise<Notebook> {
    return this.client.createNotebook(request);
  }

  stopNotebook(ref: NotebookRef): Promise<void> {
    return this.client.stopNotebook(ref);
  }

  startNotebook(ref: NotebookRef): Promise<void> {
    return this.client.startNotebook(ref);
  }

  deleteNotebook(ref: NotebookRef): Promise<void> {
    return this.client.deleteNotebook(ref);
  }

  getIdleNotebooks(query?: IdleNotebooksQuery): Promise<IdleNotebooksResponse> {
    return this.client.getIdleNotebooks(query);
  }

  setNotebookIdlePolicy(
    ref: NotebookRef,
    request: IdlePolicyRequest,
  ): Promise<void> {
    return this.client.setNotebookIdlePolicy(ref, request);
  }

  followNotebookProgress(
    ref: NotebookRef,
    signal?: AbortSignal,
  ): AsyncIterable<NotebookProgressEvent> {
    return this.client.followNotebookProgress(ref, signal ? { signal } : {});
  }

  getDatasetFacts(ref: DatasetRef): Promise<DatasetFactsResponse> {
    return this.client.getDatasetFacts(ref);
  }

  getModelHealth(
    ref: ModelRef,
    window: string = '1h',
  ): Promise<ModelHealthResponse> {
    const key = JSON.stringify([ref.namespace, ref.name, window]);
    let answer = this.healthInFlight.get(key);
    if (!answer) {
      answer = this.client
        .getModelHealth(ref, { window })
        .finally(() => this.healthInFlight.delete(key));
      this.healthInFlight.set(key, answer);
    }
    return answer;
  }

  getModelVersions(ref: ModelRef): Promise<ModelVersionsResponse> {
    return this.client.getModelVersions(ref);
  }

  promoteModel(
    ref: ModelRef,
    request: PromoteModelRequest,
  ): Promise<PromoteModelResponse> {
    return this.client.promoteModel(ref, request);
  }

  getModelServing(ref: ModelRef): Promise<ModelServingResponse> {
    return this.client.getModelServing(ref);
  }

  rolloutModel(
    ref: ModelRef,
    request: ModelRolloutRequest,
  ): Promise<ModelRolloutResponse> {
    return this.client.rolloutModel(ref, request);
  }

  getPipelineRuns(
    ref: PipelineRef,
    options?: { limit?: number },
  ): Promise<PipelineRunsResponse> {
    return this.client.getPipelineRuns(ref, options);
  }

  startPipelineRun(
    ref: PipelineRef,
    request: StartPipelineRunRequest,
  ): Promise<StartPipelineRunResponse> {
    return this.client.startPipelineRun(ref, request);
  }

  getModelAlertActions(
    ref: ModelRef,
    options?: { limit?: number },
  ): Promise<AlertActionsResponse> {
    return this.client.getModelAlertActions(ref, options);
  }

  getAuditEvents(query?: MlAuditQuery): Promise<MlAuditEventsResponse> {
    return this.client.getAuditEvents(query);
  }

  getExperimentRuns(
    ref: ExperimentEntityRef,
    request?: ExperimentRunsRequest,
  ): Promise<ExperimentRunsResponse> {
    return this.client.getExperimentRuns(ref, request);
  }

  compareExperimentRuns(
    ref: ExperimentEntityRef,
    request: CompareRunsRequest,
  ): Promise<CompareRunsResponse> {
    return this.client.compareExperimentRuns(ref, request);
  }

  getRunTensorBoard(
    ref: ExperimentEntityRef,
    runId: string,
    request?: RunTensorBoardRequest,
  ): Promise<RunTensorBoardResponse> {
    return this.client.getRunTensorBoard(ref, runId, request);
  }

  startRunTensorBoard(
    ref: ExperimentEntityRef,
    runId: string,
  ): Promise<RunTensorBoardLaunch> {
    return this.client.startRunTensorBoard(ref, runId);
  }

  stopRunTensorBoard(ref: ExperimentEntityRef, runId: string): Promise<void> {
    return this.client.stopRunTensorBoard(ref, runId);
  }

  getLogPods(ref: LogsTargetRef): Promise<LogPodsResponse> {
    return this.client.getLogPods(ref);
  }

  getPodLogs(
    ref: LogsTargetRef,
    request: PodLogsRequest,
  ): Promise<PodLogsResponse> {
    return this.client.getPodLogs(ref, request);
  }

  followPodLogs(
    ref: LogsTargetRef,
    request: PodLogsRequest,
    signal?: AbortSignal,
  ): AsyncIterable<LogLine> {
    return this.client.followPodLogs(ref, request, { signal });
  }

  downloadPodLogs(
    ref: LogsTargetRef,
    request: PodLogsRequest,
  ): Promise<string> {
    return this.client.downloadPodLogs(ref, request);
  }

  getLogStoreLines(
    ref: LogsTargetRef,
    request?: LogStoreRequest,
  ): Promise<LogStoreResponse> {
    return this.client.getLogStoreLines(ref, request);
  }
}
