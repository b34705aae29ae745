import type { EntityPathParams } from '../schemas/entityPath';
import type { GpuQuotasQuery, NotebookPath } from '../schemas/kubernetes';

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
 * Narrows `GET /api/ml/quotas` to one cluster, namespace or team: the
 * query as the API's schema takes it.
 *
 * @public
 */
export type GpuQuotasFilter = GpuQuotasQuery;

/**
 * Where a notebook lives; together these name it uniquely. The path the
 * API's notebook path schema takes.
 *
 * @public
 */
export type NotebookRef = NotebookPath;

/**
 * A Model entity, by the namespace and name of its entity ref: the
 * `:namespace/:name` of its `/api/ml` paths.
 *
 * @public
 */
export type ModelRef = EntityPathParams;

/**
 * A Dataset entity, by the namespace and name of its entity ref.
 *
 * @public
 */
export type DatasetRef = EntityPathParams;

/**
 * A Pipeline entity, by the namespace and name of its entity ref: the
 * `:namespace/:name` of its `/api/ml` paths.
 *
 * @public
 */
export type PipelineRef = EntityPathParams;
