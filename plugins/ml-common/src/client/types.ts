/**
 * Per-call options of {@link MlApiClient}.
 *
 * @public
 */
export interface MlRequestOptions {
  /**
   * Backstage token sent as `Authorization: Bearer`. Backend callers pass a
   * plugin-request token; the frontend leaves it out because its `fetchApi`
   * adds the signed-in user's token itself.
   */
  token?: string;
}

/**
 * How {@link MlApiClient} finds and calls the ML backend: the shape of
 * Backstage's discovery and fetch APIs, so the frontend's `discoveryApi` /
 * `fetchApi` and the backend's `coreServices.discovery` all fit.
 *
 * @public
 */
export interface MlApiClientOptions {
  discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
  /** Defaults to the global `fetch`. */
  fetchApi?: { fetch: typeof fetch };
}

/**
 * Narrows `GET /api/ml/quotas` to one cluster, namespace or team.
 *
 * @public
 */
export interface GpuQuotasFilter {
  cluster?: string;
  namespace?: string;
  /** Team entity ref, e.g. `group:default/fraud-team`. */
  team?: string;
}

/**
 * Where a notebook lives; together these name it uniquely.
 *
 * @public
 */
export interface NotebookRef {
  cluster: string;
  namespace: string;
  name: string;
}

/**
 * A Model entity, by the namespace and name of its entity ref.
 *
 * @public
 */
export interface ModelRef {
  namespace: string;
  name: string;
}

/**
 * A Pipeline entity, by the namespace and name of its entity ref.
 *
 * @public
 */
export interface PipelineRef {
  namespace: string;
  name: string;
}
