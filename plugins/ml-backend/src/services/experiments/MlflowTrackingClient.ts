import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type { MlRegistryConfig } from '@mlplatform/plugin-ml-common';
import { readFileSync } from 'node:fs';
import { CoalescingCache } from '../coalescingCache';
import {
  MlflowRest,
  MlflowRestFailure,
  mlflowPages,
} from '../mlflow/MlflowRest';

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

/** How long MLflow answers (and comparisons built from them) are reused. @internal */
export const MLFLOW_CACHE_TTL_MS = 15_000;

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
  private readonly rest: MlflowRest;
  private readonly cache: CoalescingCache<unknown>;
  private readonly where: string;

  private constructor(private readonly options: MlflowTrackingClientOptions) {
    const { registry } = options;
    this.name = registry.name;
    this.baseUrl = registry.url.replace(/\/+$/, '');
    this.rest = new MlflowRest(
      {
        url: registry.url,
        token: registry.token,
        username: registry.username,
        password: registry.password,
        ca: registry.caFile ? readFileSync(registry.caFile) : undefined,
        timeoutMs: options.timeoutMs,
      },
      (failure, what) => this.toError(failure, what),
    );
    this.where = `MLflow "${registry.name}" (${this.rest.base.host})`;
    this.cache = new CoalescingCache({
      ttlMs: options.cacheTtlMs ?? MLFLOW_CACHE_TTL_MS,
      maxEntries: 2000,
    });
  }

  close(): void {
    this.rest.close();
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
    return mlflowPages<MlflowRun>(
      async (pageToken, runs) => {
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
        return { items: page.runs, next_page_token: page.next_page_token };
      },
      runs => runs.length >= request.maxResults,
    );
  }

  /** Every logged value of a run's metric, following `page_token`. */
  async getMetricHistory(
    runId: string,
    metric: string,
  ): Promise<MlflowMetricPoint[]> {
    const pageSize = this.options.historyPageSize ?? 10_000;
    return mlflowPages<MlflowMetricPoint>(async pageToken => {
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
      return { items: page.metrics, next_page_token: page.next_page_token };
    });
  }

  /** The model versions registered from these runs, 50 run ids a request. */
  async modelVersionsOfRuns(runIds: string[]): Promise<MlflowModelVersion[]> {
    const versions: MlflowModelVersion[] = [];
    for (let i = 0; i < runIds.length; i += 50) {
      // Run ids are checked against RUN_ID_PATTERN or come from MLflow.
      const ids = runIds
        .slice(i, i + 50)
        .map(id => `'${id.replace(/[^A-Za-z0-9]/g, '')}'`);
      versions.push(
        ...(await mlflowPages<MlflowModelVersion>(async pageToken => {
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
          return {
            items: page.model_versions,
            next_page_token: page.next_page_token,
          };
        })),
      );
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

  private call(
    method: 'GET' | 'POST',
    endpoint: string,
    params: Record<string, unknown>,
    what: string,
  ): Promise<unknown> {
    this.options.logger.debug(`MLflow ${method} ${endpoint} (${what})`);
    return this.rest.call(method, endpoint, params, what);
  }

  /** A failed call as the `@backstage/errors` type the routes answer with. */
  private toError(failure: MlflowRestFailure, what: string): Error {
    const { status, body } = failure;
    const detail =
      typeof body?.message === 'string'
        ? `: ${body.message.slice(0, 300)}`
        : '';
    switch (failure.kind) {
      case 'unreachable':
        return new ServiceUnavailableError(
          `${this.where} is unreachable while reading ${what}: ${failure.cause}`,
        );
      case 'unauthorized':
        return new ServiceUnavailableError(
          `${this.where} refused the configured credentials while reading ${what} (HTTP ${status}); check ml.registries`,
        );
      case 'not-found':
        return new NotFoundError(`No ${what} in ${this.where}`);
      case 'invalid':
        return new InputError(`${this.where} refused ${what}${detail}`);
      default:
        return new ServiceUnavailableError(
          `${this.where} answered HTTP ${status} while reading ${what}${
            body === undefined
              ? ' (not JSON; is the URL an MLflow server?)'
              : detail
          }`,
        );
    }
  }
}
