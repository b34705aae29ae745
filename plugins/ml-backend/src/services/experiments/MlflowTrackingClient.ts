import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type { MlRegistryConfig } from '@mlplatform/plugin-ml-common';
import { createAgent, httpRequest } from '@mlplatform/plugin-ml-oci';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { CoalescingCache } from '../coalescingCache';

type KeyValue = { key: string; value: string };

/** A run as MLflow's REST API 2.0 returns it. @internal */
export interface MlflowRun {
  info: {
    run_id: string;
    run_name?: string;
    experiment_id: string;
    user_id?: string;
    status: string;
    start_time?: number | string;
    end_time?: number | string;
    lifecycle_stage?: string;
  };
  data?: {
    metrics?: Array<{ key: string; value: number; step?: number }>;
    params?: KeyValue[];
    tags?: KeyValue[];
  };
}

/** An experiment as MLflow returns it. @internal */
export interface MlflowExperiment {
  experiment_id: string;
  name: string;
  lifecycle_stage?: string;
}

/** One point of `metrics/get-history`. @internal */
export interface MlflowMetricPoint {
  step?: number | string;
  timestamp?: number | string;
  value: number;
}

/** A model version as `model-versions/search` returns it. @internal */
export interface MlflowModelVersion {
  name: string;
  version: string;
  run_id?: string;
}

/** @internal */
export interface MlflowTrackingClientOptions {
  /** An `ml.registries` entry of type mlflow: the only hosts contacted. */
  registry: MlRegistryConfig;
  logger: LoggerService;
  /** How long answers are reused; default 15 s. */
  cacheTtlMs?: number;
  /** Runs per `runs/search` page; default 500 (small in tests, to page). */
  runsPageSize?: number;
  /** Points per `metrics/get-history` page; default 10,000. */
  historyPageSize?: number;
  timeoutMs?: number;
}

/**
 * Reads experiments, runs and metric histories from one MLflow tracking
 * server over its REST API 2.0. Built only from `ml.registries`, so no
 * entity can make the backend contact another host. Identical calls in
 * flight share one request and answers are reused for a few seconds: the
 * runs card and a comparison of five runs are one page view, not dozens of
 * MLflow requests per viewer. Failures are `@backstage/errors` types
 * naming the server, never its credentials.
 *
 * @internal
 */
export class MlflowTrackingClient {
  static create(options: MlflowTrackingClientOptions): MlflowTrackingClient {
    return new MlflowTrackingClient(options);
  }

  readonly name: string;
  /** Base URL without a trailing slash, for links into MLflow's UI. */
  readonly baseUrl: string;
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;
  private readonly cache: CoalescingCache<unknown>;
  private readonly where: string;

  private constructor(private readonly options: MlflowTrackingClientOptions) {
    const { registry } = options;
    this.name = registry.name;
    this.base = new URL(registry.url);
    this.baseUrl = registry.url.replace(/\/+$/, '');
    this.where = `MLflow "${registry.name}" (${this.base.host})`;
    this.agent = createAgent(this.base, {
      ca: registry.caFile ? readFileSync(registry.caFile) : undefined,
      maxSockets: 8,
    });
    this.headers = { accept: 'application/json' };
    if (registry.token) {
      this.headers.authorization = `Bearer ${registry.token}`;
    } else if (registry.username) {
      this.headers.authorization = `Basic ${Buffer.from(
        `${registry.username}:${registry.password ?? ''}`,
      ).toString('base64')}`;
    }
    this.cache = new CoalescingCache({
      ttlMs: options.cacheTtlMs ?? 15_000,
      maxEntries: 2000,
    });
  }

  close(): void {
    this.agent.destroy();
  }

  /** @throws NotFoundError naming the experiment when MLflow has none of that name. */
  async getExperimentByName(name: string): Promise<MlflowExperiment> {
    const res = await this.cached<{ experiment: MlflowExperiment }>(
      'GET',
      'experiments/get-by-name',
      { experiment_name: name },
      `experiment "${name}"`,
    );
    if (res.experiment.lifecycle_stage === 'deleted') {
      throw new NotFoundError(
        `MLflow experiment "${name}" is deleted in ${this.where}`,
      );
    }
    return res.experiment;
  }

  /** @throws NotFoundError when MLflow has no such run. */
  async getRun(runId: string): Promise<MlflowRun> {
    const res = await this.cached<{ run: MlflowRun }>(
      'GET',
      'runs/get',
      { run_id: runId },
      `run ${runId}`,
    );
    return res.run;
  }

  /**
   * Runs of an experiment, following `next_page_token` until `maxResults`
   * runs or the last page.
   */
  async searchRuns(request: {
    experimentId: string;
    filter?: string;
    orderBy?: string[];
    maxResults: number;
  }): Promise<MlflowRun[]> {
    const pageSize = this.options.runsPageSize ?? 500;
    const runs: MlflowRun[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.cached<{
        runs?: MlflowRun[];
        next_page_token?: string;
      }>(
        'POST',
        'runs/search',
        {
          experiment_ids: [request.experimentId],
          filter: request.filter ?? '',
          run_view_type: 'ACTIVE_ONLY',
          order_by: request.orderBy ?? [],
          max_results: Math.min(pageSize, request.maxResults - runs.length),
          ...(pageToken ? { page_token: pageToken } : {}),
        },
        `runs of experiment ${request.experimentId}`,
      );
      runs.push(...(page.runs ?? []));
      pageToken = page.next_page_token || undefined;
    } while (pageToken && runs.length < request.maxResults);
    return runs;
  }

  /** Every logged value of a run's metric, following `page_token`. */
  async getMetricHistory(
    runId: string,
    metric: string,
  ): Promise<MlflowMetricPoint[]> {
    const pageSize = this.options.historyPageSize ?? 10_000;
    const points: MlflowMetricPoint[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.cached<{
        metrics?: MlflowMetricPoint[];
        next_page_token?: string;
      }>(
        'GET',
        'metrics/get-history',
        {
          run_id: runId,
          metric_key: metric,
          max_results: String(pageSize),
          ...(pageToken ? { page_token: pageToken } : {}),
        },
        `history of metric "${metric}" of run ${runId}`,
      );
      points.push(...(page.metrics ?? []));
      pageToken = page.next_page_token || undefined;
    } while (pageToken);
    return points;
  }

  /** The model versions registered from these runs, 50 run ids a request. */
  async modelVersionsOfRuns(runIds: string[]): Promise<MlflowModelVersion[]> {
    const versions: MlflowModelVersion[] = [];
    for (let i = 0; i < runIds.length; i += 50) {
      // Run ids are checked against RUN_ID_PATTERN or come from MLflow.
      const ids = runIds
        .slice(i, i + 50)
        .map(id => `'${id.replace(/[^A-Za-z0-9]/g, '')}'`);
      let pageToken: string | undefined;
      do {
        const page = await this.cached<{
          model_versions?: MlflowModelVersion[];
          next_page_token?: string;
        }>(
          'GET',
          'model-versions/search',
          {
            filter: `run_id IN (${ids.join(',')})`,
            max_results: '200',
            ...(pageToken ? { page_token: pageToken } : {}),
          },
          'model versions of the runs',
        );
        versions.push(...(page.model_versions ?? []));
        pageToken = page.next_page_token || undefined;
      } while (pageToken);
    }
    return versions;
  }

  private cached<T>(
    method: 'GET' | 'POST',
    endpoint: string,
    params: Record<string, unknown>,
    what: string,
  ): Promise<T> {
    const key = `${method} ${endpoint} ${JSON.stringify(params)}`;
    return this.cache.get(key, () =>
      this.call(method, endpoint, params, what),
    ) as Promise<T>;
  }

  private async call(
    method: 'GET' | 'POST',
    endpoint: string,
    params: Record<string, unknown>,
    what: string,
  ): Promise<unknown> {
    const url = new URL(
      `${this.base.pathname.replace(/\/+$/, '')}/api/2.0/mlflow/${endpoint}`,
      this.base,
    );
    const headers = { ...this.headers };
    let body: Buffer | undefined;
    if (method === 'GET') {
      for (const [k, v] of Object.entries(params)) {
        url.searchParams.set(k, String(v));
      }
    } else {
      body = Buffer.from(JSON.stringify(params));
      headers['content-type'] = 'application/json';
    }
    this.options.logger.debug(`MLflow ${method} ${endpoint} (${what})`);
    const res = await httpRequest({
      method,
      url,
      headers,
      body,
      agent: this.agent,
      timeoutMs: this.options.timeoutMs ?? 15_000,
    }).catch(e => {
      throw new ServiceUnavailableError(
        `${this.where} is unreachable while reading ${what}: ${
          (e as { code?: string }).code ?? (e as Error).message
        }`,
      );
    });
    let parsed: any;
    try {
      parsed = res.body.length ? JSON.parse(res.body.toString('utf8')) : {};
    } catch {
      parsed = undefined;
    }
    if (res.status === 200 && parsed !== undefined) return parsed;
    const detail =
      typeof parsed?.message === 'string'
        ? `: ${parsed.message.slice(0, 300)}`
        : '';
    if (res.status === 401 || res.status === 403) {
      throw new ServiceUnavailableError(
        `${this.where} refused the configured credentials while reading ${what} (HTTP ${res.status}); check ml.registries`,
      );
    }
    // Only MLflow's own error body means "no such thing"; a bare 404 is a
    // URL that is not an MLflow API (a wrong prefix in ml.registries).
    if (parsed?.error_code === 'RESOURCE_DOES_NOT_EXIST') {
      throw new NotFoundError(`No ${what} in ${this.where}`);
    }
    if (parsed?.error_code === 'INVALID_PARAMETER_VALUE') {
      throw new InputError(`${this.where} refused ${what}${detail}`);
    }
    throw new ServiceUnavailableError(
      `${this.where} answered HTTP ${res.status} while reading ${what}${
        parsed === undefined
          ? ' (not JSON; is the URL an MLflow server?)'
          : detail
      }`,
    );
  }
}
