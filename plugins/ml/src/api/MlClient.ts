import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  CreateNotebookRequest,
  GpuQuotasResponse,
  MlHealthResponse,
  ModelHealthResponse,
  ModelVersionsResponse,
  Notebook,
  NotebooksResponse,
  PromoteModelRequest,
  PromoteModelResponse,
} from '@mlplatform/plugin-ml-common';
import { GpuQuotasFilter, MlApi, ModelRef, NotebookRef } from './MlApi';

function modelPath(ref: ModelRef): string {
  return `/models/${[ref.namespace, ref.name]
    .map(encodeURIComponent)
    .join('/')}`;
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
