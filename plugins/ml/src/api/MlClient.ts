import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  AlertActionsResponse,
  CreateNotebookRequest,
  GpuQuotasResponse,
  MlAuditEventsResponse,
  MlAuditQuery,
  MlHealthResponse,
  ModelHealthResponse,
  ModelVersionsResponse,
  Notebook,
  NotebooksResponse,
  PipelineRunsResponse,
  PromoteModelRequest,
  PromoteModelResponse,
  StartPipelineRunRequest,
  StartPipelineRunResponse,
} from '@mlplatform/plugin-ml-common';
import {
  GpuQuotasFilter,
  MlApi,
  ModelRef,
  NotebookRef,
  PipelineRef,
} from './MlApi';

function modelPath(ref: ModelRef): string {
  return `/models/${[ref.namespace, ref.name]
    .map(encodeURIComponent)
    .join('/')}`;
}

function pipelineRunsPath(ref: PipelineRef): string {
  return `/pipelines/${[ref.namespace, ref.name]
    .map(encodeURIComponent)
    .join('/')}/runs`;
}

function limitQuery(limit: number | undefined): string {
  return limit === undefined
    ? ''
    : `?${new URLSearchParams({ limit: String(limit) })}`;
}

function notebookPath(ref: NotebookRef): string {
  return `/notebooks/${[ref.cluster, ref.namespace, ref.name]
    .map(encodeURIComponent)
    .join('/')}`;
}

/**
 * Default {@link MlApi} implementation over the backend's HTTP API.
 *
 * @public
 */
export class MlClient implements MlApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async getHealth(): Promise<MlHealthResponse> {
    return this.request<MlHealthResponse>('GET', '/health');
  }

  async getQuotas(filter: GpuQuotasFilter = {}): Promise<GpuQuotasResponse> {
    const query = new URLSearchParams();
    for (const key of ['cluster', 'namespace', 'team'] as const) {
      const value = filter[key];
      if (value) query.set(key, value);
    }
    const search = query.toString();
    return this.request<GpuQuotasResponse>(
      'GET',
      `/quotas${search ? `?${search}` : ''}`,
    );
  }

  async listNotebooks(): Promise<NotebooksResponse> {
    return this.request<NotebooksResponse>('GET', '/notebooks');
  }

  async createNotebook(request: CreateNotebookRequest): Promise<Notebook> {
    return this.request<Notebook>('POST', '/notebooks', request);
  }

  // The backend answers 204; a body, should it send one, is not needed
  // because the caller lists the notebooks again for their new phase.
  async stopNotebook(ref: NotebookRef): Promise<void> {
    await this.request<unknown>('POST', `${notebookPath(ref)}/stop`);
  }

  async startNotebook(ref: NotebookRef): Promise<void> {
    await this.request<unknown>('POST', `${notebookPath(ref)}/start`);
  }

  async deleteNotebook(ref: NotebookRef): Promise<void> {
    await this.request<void>('DELETE', notebookPath(ref));
  }

  async getModelHealth(
    ref: ModelRef,
    window: string = '1h',
  ): Promise<ModelHealthResponse> {
    const query = new URLSearchParams({ window });
    return this.request<ModelHealthResponse>(
      'GET',
      `${modelPath(ref)}/health?${query}`,
    );
  }

  async getModelVersions(ref: ModelRef): Promise<ModelVersionsResponse> {
    return this.request<ModelVersionsResponse>(
      'GET',
      `${modelPath(ref)}/versions`,
    );
  }

  async promoteModel(
    ref: ModelRef,
    request: PromoteModelRequest,
  ): Promise<PromoteModelResponse> {
    return this.request<PromoteModelResponse>(
      'POST',
      `${modelPath(ref)}/aliases`,
      { alias: request.alias, version: request.version },
    );
  }

  async getPipelineRuns(
    ref: PipelineRef,
    options: { limit?: number } = {},
  ): Promise<PipelineRunsResponse> {
    return this.request<PipelineRunsResponse>(
      'GET',
      `${pipelineRunsPath(ref)}${limitQuery(options.limit)}`,
    );
  }

  async startPipelineRun(
    ref: PipelineRef,
    request: StartPipelineRunRequest,
  ): Promise<StartPipelineRunResponse> {
    return this.request<StartPipelineRunResponse>(
      'POST',
      pipelineRunsPath(ref),
      { parameters: request.parameters ?? {} },
    );
  }

  async getModelAlertActions(
    ref: ModelRef,
    options: { limit?: number } = {},
  ): Promise<AlertActionsResponse> {
    return this.request<AlertActionsResponse>(
      'GET',
      `${modelPath(ref)}/alert-actions${limitQuery(options.limit)}`,
    );
  }

  async getAuditEvents(
    query: MlAuditQuery = {},
  ): Promise<MlAuditEventsResponse> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    const qs = params.toString();
    return this.request<MlAuditEventsResponse>(
      'GET',
      `/audit${qs ? `?${qs}` : ''}`,
    );
  }

  private async request<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<T> {
    const baseUrl = await this.discoveryApi.getBaseUrl('ml');
    const response = await this.fetchApi.fetch(`${baseUrl}${path}`, {
      method,
      ...(body !== undefined
        ? {
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
          }
        : {}),
    });
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    if (response.status === 204) {
      return undefined as T;
    }
    return (await response.json()) as T;
  }
}
