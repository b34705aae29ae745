import type {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  CompareRunsQuery,
  CompareRunsResponse,
  ComparedMetric,
  EXPERIMENT_LIMITS,
  ExperimentEntityRef,
  ExperimentRun,
  ExperimentRunsQuery,
  ExperimentRunsResponse,
  isModelEntity,
  isPipelineEntity,
  MlflowExperimentInfo,
  MlRegistryConfig,
} from '@mlplatform/plugin-ml-common';
import { mapLimit } from '@mlplatform/plugin-ml-oci';
import { CoalescingCache } from '../coalescingCache';
import { locateExperiment } from './experimentAnnotation';
import {
  MlflowExperiment,
  MLFLOW_CACHE_TTL_MS,
  MlflowRun,
  MlflowTrackingClient,
  MlflowTrackingClientOptions,
} from './MlflowTrackingClient';
import {
  historyPoints,
  keyParams,
  mlflowLinks,
  paramDiff,
  toExperimentRun,
  versionsByRun,
} from './runView';

/** @internal */
export interface ExperimentsServiceOptions {
  /** `ml.registries`; the entries of type mlflow are the hosts it may read. */
  registries: MlRegistryConfig[];
  catalog: CatalogService;
  logger: LoggerService;
  /** Passed to each tracking client (cache TTL, page sizes). */
  client?: Partial<Omit<MlflowTrackingClientOptions, 'registry' | 'logger'>>;
}

interface Resolved {
  entityRef: string;
  client: MlflowTrackingClient;
  experiment: MlflowExperiment;
  info: MlflowExperimentInfo;
}

const KINDS = {
  model: { label: 'Model', is: isModelEntity },
  pipeline: { label: 'Pipeline', is: isPipelineEntity },
} as const;

/**
 * How long after its cache window a comparison is still answered while it
 * is rebuilt in the background (stale-while-revalidate).
 */
const COMPARISON_STALE_MS = 5 * 60_000;

// MLflow's search grammar: backquoted names, no backquote inside.
const quoted = (name: string) => `\`${name.replace(/`/g, '')}\``;

/**
 * The MLflow experiment of a Model or a Pipeline: its runs (status, start,
 * duration, user, git commit, params, latest metrics, the model versions
 * they produced) and the comparison of 2-5 of them (each metric's history
 * per run, the parameter diff). Entities are read with the caller's
 * credentials, so the catalog decides who sees what; nothing else is
 * permission-checked (reading runs changes nothing).
 *
 * @internal
 */
export class ExperimentsService {
  static create(options: ExperimentsServiceOptions): ExperimentsService {
    return new ExperimentsService(options);
  }

  private readonly clients = new Map<string, MlflowTrackingClient>();
  /** Built comparisons; failures are not kept (CoalescingCache). */
  private readonly comparisons: CoalescingCache<CompareRunsResponse>;

  private constructor(private readonly options: ExperimentsServiceOptions) {
    this.comparisons = new CoalescingCache({
      ttlMs: options.client?.cacheTtlMs ?? MLFLOW_CACHE_TTL_MS,
      maxEntries: 500,
      // Building one takes seconds (every metric history of every run):
      // once warm, viewers get the last one while it is rebuilt.
      staleMs: COMPARISON_STALE_MS,
    });
    for (const registry of options.registries) {
      if (registry.type !== 'mlflow') continue;
      this.clients.set(
        registry.name,
        MlflowTrackingClient.create({
          ...options.client,
          registry,
          logger: options.logger,
        }),
      );
    }
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
  }

  /** The runs of the entity's experiment, or why it has none to show. */
  async listRuns(
    ref: ExperimentEntityRef,
    query: ExperimentRunsQuery,
    credentials: BackstageCredentials,
  ): Promise<ExperimentRunsResponse> {
    const entity = await this.readEntity(ref, credentials);
    const entityRef = stringifyEntityRef(entity);
    const located = this.locate(entity, entityRef);
    if ('reason' in located) {
      return { configured: false, entityRef, reason: located.reason };
    }
    const { client, experiment, info } = await this.experiment(
      entityRef,
      located,
    );
    const direction = (query.direction ?? 'desc').toUpperCase();
    const orderBy =
      query.orderBy === 'metric' && query.metric
        ? [
            `metrics.${quoted(query.metric)} ${direction}`,
            'attributes.start_time DESC',
          ]
        : [`attributes.start_time ${direction}`];
    const runs = await client.searchRuns({
      experimentId: experiment.experiment_id,
      filter: query.status
        ? `attributes.status = '${query.status.toUpperCase()}'`
        : '',
      orderBy,
      maxResults: query.limit ?? EXPERIMENT_LIMITS.defaultRuns,
    });
    const view = await this.toRuns(client, runs);
    return {
      configured: true,
      entityRef,
      experiment: info,
      runs: view,
      keyParams: keyParams(view),
      metricNames: [
        ...new Set(view.flatMap(r => Object.keys(r.metrics))),
      ].sort(),
    };
  }

  /**
   * 2-5 runs of the entity's experiment side by side.
   *
   * @throws NotFoundError for an entity without an experiment, an unknown
   * experiment or unknown run ids (all named); InputError for a run of
   * another experiment or a metric none of the runs logged.
   */
  async compareRuns(
    ref: ExperimentEntityRef,
    query: CompareRunsQuery,
    credentials: BackstageCredentials,
  ): Promise<CompareRunsResponse> {
    // The routes parse with compareRunsQuerySchema; this holds other callers.
    const { maxCompare, minCompare } = EXPERIMENT_LIMITS;
    if (query.runs.length < minCompare || query.runs.length > maxCompare) {
      throw new InputError(
        `Compare ${minCompare} to ${maxCompare} runs; got ${query.runs.length}`,
      );
    }
    // The entity is read with the caller's credentials on every request (the
    // catalog decides who may see it); the comparison itself is built once
    // per cache window however many viewers ask.
    const entity = await this.readEntity(ref, credentials);
    const entityRef = stringifyEntityRef(entity);
    const key = JSON.stringify([entityRef, query.runs, query.metrics ?? []]);
    return this.comparisons.get(key, () =>
      this.buildComparison(entity, entityRef, query),
    );
  }

  /**
   * One run of the entity's experiment (without its model versions).
   *
   * @throws NotFoundError for an entity without an experiment or an unknown
   * run; InputError for a run of another experiment.
   */
  async getRun(
    ref: ExperimentEntityRef,
    runId: string,
    credentials: BackstageCredentials,
  ): Promise<{ entityRef: string; run: ExperimentRun }> {
    const entity = await this.readEntity(ref, credentials);
    const entityRef = stringifyEntityRef(entity);
    const located = this.locate(entity, entityRef);
    if ('reason' in located) throw new NotFoundError(located.reason);
    const { client, experiment } = await this.experiment(entityRef, located);
    const run = await client.getRun(runId).catch(e => {
      if ((e as Error).name === 'NotFoundError') return undefined;
      throw e;
    });
    if (!run || run.info.lifecycle_stage === 'deleted') {
      throw new NotFoundError(`No run ${runId} in MLflow "${client.name}"`);
    }
    if (run.info.experiment_id !== experiment.experiment_id) {
      throw new InputError(
        `Run ${runId} belongs to experiment ${run.info.experiment_id}, not to "${experiment.name}" (${experiment.experiment_id}) of ${entityRef}`,
      );
    }
    return { entityRef, run: toExperimentRun(client.baseUrl, run) };
  }

  private async buildComparison(
    entity: Entity,
    entityRef: string,
    query: CompareRunsQuery,
  ): Promise<CompareRunsResponse> {
    const located = this.locate(entity, entityRef);
    if ('reason' in located) throw new NotFoundError(located.reason);
    const { client, experiment, info } = await this.experiment(
      entityRef,
      located,
    );

    const fetched = await Promise.all(
      query.runs.map(id =>
        client.getRun(id).catch(e => {
          if ((e as Error).name === 'NotFoundError') return undefined;
          throw e;
        }),
      ),
    );
    const unknown = query.runs.filter(
      (_, i) => !fetched[i] || fetched[i]!.info.lifecycle_stage === 'deleted',
    );
    if (unknown.length) {
      throw new NotFoundError(
        `No run ${unknown.join(', ')} in MLflow "${client.name}"`,
      );
    }
    const runs = fetched as MlflowRun[];
    const foreign = runs.filter(
      r => r.info.experiment_id !== experiment.experiment_id,
    );
    if (foreign.length) {
      throw new InputError(
        `Run ${foreign
          .map(
            r =>
              `${r.info.run_id} belongs to experiment ${r.info.experiment_id}`,
          )
          .join(', ')}, not to "${experiment.name}" (${
          experiment.experiment_id
        }) of ${entityRef}`,
      );
    }
    const view = await this.toRuns(client, runs);

    const logged = [
      ...new Set(view.flatMap(r => Object.keys(r.metrics))),
    ].sort();
    const missing = (query.metrics ?? []).filter(m => !logged.includes(m));
    if (missing.length) {
      throw new InputError(
        `None of the runs logged metric ${missing
          .map(m => `"${m}"`)
          .join(', ')}; they logged ${logged.join(', ') || 'no metrics'}`,
      );
    }
    const names = (query.metrics ?? logged).slice(
      0,
      EXPERIMENT_LIMITS.maxCompareMetrics,
    );
    const pairs = names.flatMap(name =>
      view.filter(r => name in r.metrics).map(r => ({ name, runId: r.id })),
    );
    const histories = await mapLimit(pairs, 8, async p => ({
      ...p,
      ...historyPoints(
        await client.getMetricHistory(p.runId, p.name),
        EXPERIMENT_LIMITS.maxHistoryPoints,
      ),
    }));
    const metrics: ComparedMetric[] = names.map(name => {
      const own = histories.filter(h => h.name === name);
      return {
        name,
        histories: Object.fromEntries(own.map(h => [h.runId, h.points])),
        ...(own.some(h => h.downsampled) ? { downsampled: true } : {}),
      };
    });
    return {
      entityRef,
      experiment: info,
      runs: view,
      metrics,
      params: paramDiff(view),
    };
  }

  private async readEntity(
    ref: ExperimentEntityRef,
    credentials: BackstageCredentials,
  ): Promise<Entity> {
    const kind = KINDS[ref.kind];
    const entity = await this.options.catalog.getEntityByRef(
      { kind: ref.kind, namespace: ref.namespace, name: ref.name },
      { credentials },
    );
    if (!entity || !kind.is(entity)) {
      throw new NotFoundError(
        `No ${kind.label} ${ref.namespace}/${ref.name} in the catalog`,
      );
    }
    return entity;
  }

  private locate(entity: Entity, entityRef: string) {
    return locateExperiment(entity, entityRef, [...this.clients.keys()]);
  }

  private async experiment(
    entityRef: string,
    located: { registry: string; experiment: string },
  ): Promise<Resolved> {
    const client = this.clients.get(located.registry)!;
    const experiment = await client.getExperimentByName(located.experiment);
    return {
      entityRef,
      client,
      experiment,
      info: {
        id: experiment.experiment_id,
        name: experiment.name,
        registry: client.name,
        url: mlflowLinks.experiment(client.baseUrl, experiment.experiment_id),
      },
    };
  }

  private async toRuns(client: MlflowTrackingClient, runs: MlflowRun[]) {
    const versions = versionsByRun(
      client.baseUrl,
      runs.length
        ? await client.modelVersionsOfRuns(runs.map(r => r.info.run_id))
        : [],
    );
    return runs.map(r =>
      toExperimentRun(client.baseUrl, r, versions.get(r.info.run_id)),
    );
  }
}
