/*
 * A read-only client of Feast's registry REST server (`feast serve_registry
 * --rest-api`, Feast ≥ 0.49): the project list and, per project, the feature
 * views, feature services and data sources, page by page, and one feature
 * view or service by name. Only the fields the catalog and the Dataset facts
 * use are typed; the server sends more. Shared by the catalog's Feast
 * provider and the ML backend, so one client knows the server's answers.
 */

/** A feature or entity column of a Feast object. @public */
export interface FeastField {
  name: string;
  /** Feast's ValueType enum name: INT64, DOUBLE, STRING_LIST, ... */
  valueType?: string;
  description?: string;
}

/** A Feast data source as the REST server returns it. @public */
export interface FeastDataSource {
  name: string;
  /** BATCH_FILE, BATCH_BIGQUERY, STREAM_KAFKA, REQUEST_SOURCE, PUSH_SOURCE, ... */
  type?: string;
  description?: string;
  owner?: string;
  tags?: Record<string, string>;
  fileOptions?: { uri?: string; fileFormat?: Record<string, unknown> };
  bigqueryOptions?: { table?: string };
}

/** One feature view (of any kind) as the REST server returns it. @public */
export interface FeastFeatureView {
  /** featureView, onDemandFeatureView, streamFeatureView. */
  type?: string;
  spec: {
    name: string;
    entities?: string[];
    features?: FeastField[];
    entityColumns?: FeastField[];
    /** A protobuf Duration in JSON: `86400s`. */
    ttl?: string;
    description?: string;
    owner?: string;
    tags?: Record<string, string>;
    batchSource?: FeastDataSource;
    streamSource?: FeastDataSource;
    /** On-demand views: their inputs, feature views or request sources. */
    sources?: Record<
      string,
      {
        featureViewProjection?: { featureViewName?: string };
        requestDataSource?: FeastDataSource;
      }
    >;
  };
  meta?: {
    createdTimestamp?: string;
    lastUpdatedTimestamp?: string;
    /** What `feast materialize` loaded into the online store, oldest first. */
    materializationIntervals?: Array<{ startTime?: string; endTime?: string }>;
  };
}

/** One feature service as the REST server returns it. @public */
export interface FeastFeatureService {
  spec: {
    name: string;
    description?: string;
    owner?: string;
    tags?: Record<string, string>;
    features?: Array<{
      featureViewName: string;
      featureViewNameAlias?: string;
      featureColumns?: FeastField[];
    }>;
  };
  meta?: { createdTimestamp?: string; lastUpdatedTimestamp?: string };
}

/** What the catalog reads of one Feast project. @public */
export interface FeastProjectSnapshot {
  project: string;
  featureViews: FeastFeatureView[];
  featureServices: FeastFeatureService[];
  dataSources: FeastDataSource[];
}

/** @public */
export interface FeastRegistryClientOptions {
  /** The REST server's base URL (`http://host:6572`); `/api/v1` is added. */
  url: string;
  /** Sent as `Authorization: Bearer …` (Feast's OIDC or Kubernetes auth). */
  token?: string;
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number;
  /**
   * Objects per page (the server allows 1–100) when a server paginates
   * unasked; default 100. Otherwise each list is one request.
   */
  pageSize?: number;
  /** Called before each request, e.g. to count them. */
  onRequest?: (url: URL) => void;
}

/** The `/api/v1` root of a Feast registry REST server URL. @public */
export function feastApiRoot(url: string): string {
  const base = url.replace(/\/+$/, '');
  return /\/api\/v1$/.test(base) ? base : `${base}/api/v1`;
}

/** @public */
export class FeastRegistryClient {
  readonly apiRoot: string;
  /** Requests sent so far. */
  requestCount = 0;

  constructor(private readonly options: FeastRegistryClientOptions) {
    this.apiRoot = feastApiRoot(options.url);
  }

  /** Names of the registry's projects. */
  async listProjects(): Promise<string[]> {
    const projects = await this.listAll<{ spec?: { name?: string } }>(
      '/projects',
      'projects',
      {},
    );
    return projects.flatMap(p => (p.spec?.name ? [p.spec.name] : []));
  }

  /** Everything the catalog reads of one project (three lists). */
  async readProject(project: string): Promise<FeastProjectSnapshot> {
    const [featureViews, featureServices, dataSources] = await Promise.all([
      this.listAll<FeastFeatureView>('/feature_views', 'featureViews', {
        project,
      }),
      this.listAll<FeastFeatureService>(
        '/feature_services',
        'featureServices',
        { project },
      ),
      this.listAll<FeastDataSource>('/data_sources', 'dataSources', {
        project,
      }),
    ]);
    return { project, featureViews, featureServices, dataSources };
  }

  /** One feature view of a project, `undefined` when there is none. */
  getFeatureView(
    project: string,
    name: string,
  ): Promise<FeastFeatureView | undefined> {
    return this.getOptional(`/feature_views/${encodeURIComponent(name)}`, {
      project,
    }) as Promise<FeastFeatureView | undefined>;
  }

  /** One feature service of a project, `undefined` when there is none. */
  getFeatureService(
    project: string,
    name: string,
  ): Promise<FeastFeatureService | undefined> {
    return this.getOptional(`/feature_services/${encodeURIComponent(name)}`, {
      project,
    }) as Promise<FeastFeatureService | undefined>;
  }

  private async getOptional(
    path: string,
    query: Record<string, string>,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      return await this.get(path, query);
    } catch (e) {
      if ((e as { status?: number }).status === 404) return undefined;
      throw e;
    }
  }

  /**
   * One request for the whole list (the server answers every object when
   * no page is asked for: it converts the whole registry for each request,
   * so pages would cost a full conversion each); pages of `pageSize` only
   * when a server paginates on its own (says `hasNext`).
   */
  private async listAll<T>(
    path: string,
    key: string,
    query: Record<string, string>,
  ): Promise<T[]> {
    const limit = String(this.options.pageSize ?? 100);
    const items: T[] = [];
    for (let page = 0; page <= 10_000; page++) {
      const body = await this.get(
        path,
        page === 0 ? query : { ...query, page: String(page), limit },
      );
      const list = body[key];
      if (!Array.isArray(list)) {
        throw new Error(
          `Feast registry ${this.apiRoot}${path} answered without a "${key}" list`,
        );
      }
      const pagination = body.pagination as
        | { hasNext?: boolean; page?: number }
        | undefined;
      if (page === 0) {
        if (!pagination?.hasNext) return list as T[];
        // Paginated by the server: start over page by page.
        continue;
      }
      items.push(...(list as T[]));
      if (!pagination?.hasNext || list.length === 0) return items;
    }
    throw new Error(`Feast registry ${this.apiRoot}${path}: too many pages`);
  }

  private async get(
    path: string,
    query: Record<string, string>,
  ): Promise<Record<string, unknown>> {
    const url = new URL(`${this.apiRoot}${path}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    this.requestCount++;
    this.options.onRequest?.(url);
    let res: Response;
    try {
      res = await fetch(url, {
        headers: {
          accept: 'application/json',
          ...(this.options.token
            ? { authorization: `Bearer ${this.options.token}` }
            : {}),
        },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      throw new Error(
        `Feast registry ${url.origin} unreachable: ${
          err.cause?.code ?? err.cause?.message ?? err.message
        }`,
      );
    }
    if (!res.ok) {
      const text = (await res.text().catch(() => '')).slice(0, 300);
      throw Object.assign(
        new Error(
          `Feast registry ${url.pathname} answered ${res.status}${
            text ? `: ${text}` : ''
          }`,
        ),
        { status: res.status },
      );
    }
    return (await res.json()) as Record<string, unknown>;
  }
}
