import {
  AuthService,
  BackstageCredentials,
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import {
  AlertActionsResponse,
  CreateNotebookRequest,
  GpuQuotasFilter,
  GpuQuotasResponse,
  MlApiClient,
  MlAuditEventsResponse,
  MlAuditQuery,
  MlHealthResponse,
  ModelDeploymentRequest,
  ModelDeploymentResponse,
  ModelHealthResponse,
  ModelRef,
  ModelVersionsResponse,
  Notebook,
  NotebookProgressEvent,
  NotebookRef,
  NotebooksResponse,
  PipelineRef,
  PipelineRunsResponse,
  PromoteModelRequest,
  PromoteModelResponse,
  StartPipelineRunRequest,
  StartPipelineRunResponse,
} from '@mlplatform/plugin-ml-common';

/**
 * Who an {@link MlService} call is made for: the ML backend checks
 * membership, quota and permissions, and audits, as for these credentials.
 *
 * @public
 */
export interface MlServiceRequestOptions {
  /**
   * The caller's credentials, e.g. `ctx.getInitiatorCredentials()` in a
   * scaffolder action or `auth.getOwnServiceCredentials()` in a provider.
   */
  credentials: BackstageCredentials;
}

/**
 * The ML backend (`/api/ml`) for other backend plugins and modules, called
 * with a plugin-request token on behalf of the given credentials.
 * Refusals reject with the `ResponseError` of `@backstage/errors`, whose
 * message is the ML backend's reason (see `MlApiClient`).
 *
 * @public
 */
export interface MlService {
  getHealth(options: MlServiceRequestOptions): Promise<MlHealthResponse>;
  getQuotas(
    filter: GpuQuotasFilter,
    options: MlServiceRequestOptions,
  ): Promise<GpuQuotasResponse>;
  listNotebooks(options: MlServiceRequestOptions): Promise<NotebooksResponse>;
  createNotebook(
    request: CreateNotebookRequest,
    options: MlServiceRequestOptions,
  ): Promise<Notebook>;
  stopNotebook(
    ref: NotebookRef,
    options: MlServiceRequestOptions,
  ): Promise<void>;
  startNotebook(
    ref: NotebookRef,
    options: MlServiceRequestOptions,
  ): Promise<void>;
  deleteNotebook(
    ref: NotebookRef,
    options: MlServiceRequestOptions,
  ): Promise<void>;
  getModelHealth(
    ref: ModelRef,
    request: { window?: string },
    options: MlServiceRequestOptions,
  ): Promise<ModelHealthResponse>;
  getModelVersions(
    ref: ModelRef,
    options: MlServiceRequestOptions,
  ): Promise<ModelVersionsResponse>;
  promoteModel(
    ref: ModelRef,
    request: PromoteModelRequest,
    options: MlServiceRequestOptions,
  ): Promise<PromoteModelResponse>;
  /** Serves a registry version of a Model (or, with `dryRun`, checks and builds it). */
  deployModel(
    ref: ModelRef,
    request: ModelDeploymentRequest,
    options: MlServiceRequestOptions,
  ): Promise<ModelDeploymentResponse>;
  getModelAlertActions(
    ref: ModelRef,
    request: { limit?: number },
    options: MlServiceRequestOptions,
  ): Promise<AlertActionsResponse>;
  getPipelineRuns(
    ref: PipelineRef,
    request: { limit?: number },
    options: MlServiceRequestOptions,
  ): Promise<PipelineRunsResponse>;
  startPipelineRun(
    ref: PipelineRef,
    request: StartPipelineRunRequest,
    options: MlServiceRequestOptions,
  ): Promise<StartPipelineRunResponse>;
  getAuditEvents(
    query: MlAuditQuery,
    options: MlServiceRequestOptions,
  ): Promise<MlAuditEventsResponse>;
  /**
   * A JupyterHub notebook's spawn progress until ready or failed (or the
   * signal aborts). Optional, so that other implementations need not have it.
   */
  followNotebookProgress?(
    ref: NotebookRef,
    options: MlServiceRequestOptions & { signal?: AbortSignal },
  ): AsyncIterable<NotebookProgressEvent>;
}

/**
 * What {@link mlServiceRef}'s default factory builds: the common
 * `MlApiClient`, each call with a token for the ML plugin on behalf of the
 * caller's credentials. Exported for tests and for wiring outside the
 * backend system.
 *
 * @public
 */
export class DefaultMlService implements MlService {
  readonly #client: MlApiClient;
  readonly #auth: AuthService;

  constructor(options: { client: MlApiClient; auth: AuthService }) {
    this.#client = options.client;
    this.#auth = options.auth;
  }

  async getHealth(options: MlServiceRequestOptions) {
    return this.#client.getHealth(await this.#token(options));
  }

  async getQuotas(filter: GpuQuotasFilter, options: MlServiceRequestOptions) {
    return this.#client.getQuotas(filter, await this.#token(options));
  }

  async listNotebooks(options: MlServiceRequestOptions) {
    return this.#client.listNotebooks(await this.#token(options));
  }

  async createNotebook(
    request: CreateNotebookRequest,
    options: MlServiceRequestOptions,
  ) {
    return this.#client.createNotebook(request, await this.#token(options));
  }

  async stopNotebook(ref: NotebookRef, options: MlServiceRequestOptions) {
    return this.#client.stopNotebook(ref, await this.#token(options));
  }

  async startNotebook(ref: NotebookRef, options: MlServiceRequestOptions) {
    return this.#client.startNotebook(ref, await this.#token(options));
  }

  async deleteNotebook(ref: NotebookRef, options: MlServiceRequestOptions) {
    return this.#client.deleteNotebook(ref, await this.#token(options));
  }

  async getModelHealth(
    ref: ModelRef,
    request: { window?: string },
    options: MlServiceRequestOptions,
  ) {
    return this.#client.getModelHealth(
      ref,
      request,
      await this.#token(options),
    );
  }

  async getModelVersions(ref: ModelRef, options: MlServiceRequestOptions) {
    return this.#client.getModelVersions(ref, await this.#token(options));
  }

  async promoteModel(
    ref: ModelRef,
    request: PromoteModelRequest,
    options: MlServiceRequestOptions,
  ) {
    return this.#client.promoteModel(ref, request, await this.#token(options));
  }

  async deployModel(
    ref: ModelRef,
    request: ModelDeploymentRequest,
    options: MlServiceRequestOptions,
  ) {
    return this.#client.deployModel(ref, request, await this.#token(options));
  }

  async getModelAlertActions(
    ref: ModelRef,
    request: { limit?: number },
    options: MlServiceRequestOptions,
  ) {
    return this.#client.getModelAlertActions(
      ref,
      request,
      await this.#token(options),
    );
  }

  async getPipelineRuns(
    ref: PipelineRef,
    request: { limit?: number },
    options: MlServiceRequestOptions,
  ) {
    return this.#client.getPipelineRuns(
      ref,
      request,
      await this.#token(options),
    );
  }

  async startPipelineRun(
    ref: PipelineRef,
    request: StartPipelineRunRequest,
    options: MlServiceRequestOptions,
  ) {
    return this.#client.startPipelineRun(
      ref,
      request,
      await this.#token(options),
    );
  }

  async getAuditEvents(query: MlAuditQuery, options: MlServiceRequestOptions) {
    return this.#client.getAuditEvents(query, await this.#token(options));
  }

  async *followNotebookProgress(
    ref: NotebookRef,
    options: MlServiceRequestOptions & { signal?: AbortSignal },
  ): AsyncGenerator<NotebookProgressEvent> {
    yield* this.#client.followNotebookProgress(ref, {
      ...(await this.#token(options)),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  async #token(options: MlServiceRequestOptions): Promise<{ token: string }> {
    return this.#auth.getPluginRequestToken({
      onBehalfOf: options.credentials,
      targetPluginId: 'ml',
    });
  }
}

/**
 * The ML backend as a service for backend modules (like `catalogServiceRef`
 * of `@backstage/plugin-catalog-node`): declare it in a module's `deps` and
 * pass the caller's credentials to each call.
 *
 * @public
 */
export const mlServiceRef = createServiceRef<MlService>({
  id: 'ml.client',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {
        auth: coreServices.auth,
        discovery: coreServices.discovery,
      },
      factory({ auth, discovery }) {
        return new DefaultMlService({
          auth,
          client: new MlApiClient({ discoveryApi: discovery }),
        });
      },
    }),
});
