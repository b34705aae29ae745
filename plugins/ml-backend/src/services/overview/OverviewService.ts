import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  DATASET_KIND,
  DatasetEntityV1alpha1,
  isDatasetEntity,
  MODEL_KIND,
  MlOverviewModel,
  MlOverviewOwner,
  MlOverviewResponse,
  MlOverviewRun,
  ModelHealthResponse,
  OVERVIEW_RUNS_HOURS,
  PIPELINE_KIND,
  PipelineRun,
  STUCK_PENDING_MINUTES,
  STUCK_RUNNING_HOURS,
  parseHealthWindow,
} from '@mlplatform/plugin-ml-common';
import { CoalescingCache } from '../coalescingCache';
import { DatasetFactsService } from '../datasets/DatasetFactsService';
import { IdleNotebooks, IdleSnapshot } from '../kubernetes/IdleNotebooks';
import { QuotaService } from '../kubernetes/QuotaService';
import { ModelHealthService } from '../monitoring/ModelHealthService';
import { PipelineRunsService } from '../pipelines/PipelineRunsService';
import { gpuRows } from './gpuRows';

/** Verdicts worst first, for the models tile. */
const VERDICT_RANK: Record<string, number> = {
  failing: 0,
  degraded: 1,
  unknown: 2,
  healthy: 3,
};

/** Upstream calls one overview runs at once, so a cold fleet does not flood Prometheus. */
const CONCURRENCY = 8;
const RUNS_PER_PIPELINE = 20;
/**
 * How long a pipeline's recent runs are reused across overviews. The caller
 * may only reach a pipeline the catalog showed them, so a cached answer for
 * another caller's read of the same pipeline is theirs to see too.
 */
const RUNS_TTL_MS = 30_000;
/**
 * How long the idle detection's answer is reused across overviews: one
 * notebook-store read and one Prometheus query per window, whoever asks.
 */
const IDLE_TTL_MS = 30_000;

/** Maps `items` through `fn`, at most `limit` at a time, keeping the order. */
async function mapLimited<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
  return out;
}

const titleOf = (e: Entity) => e.metadata.title ?? e.metadata.name;

/** What people call an owner: a group's or user's display name, else its title, else its name. */
function ownerName(e: Entity): string {
  const profile = (e.spec as any)?.profile;
  return profile?.displayName ?? e.metadata.title ?? e.metadata.name;
}

/**
 * Whether a run needs a look: failed within the window, or pending / running
 * far longer than a run should.
 *
 * @internal
 */
export function runProblem(
  run: PipelineRun,
  now: number,
): MlOverviewRun['problem'] | undefined {
  const time = (t?: string) => (t ? Date.parse(t) : NaN);
  if (run.status === 'failed') {
    const at = time(run.finishedAt ?? run.startedAt ?? run.createdAt);
    return now - at <= OVERVIEW_RUNS_HOURS * 3600_000 ? 'failed' : undefined;
  }
  if (run.status === 'pending') {
    const since = time(run.createdAt);
    return now - since > STUCK_PENDING_MINUTES * 60_000 ? 'stuck' : undefined;
  }
  if (run.status === 'running') {
    const since = time(run.startedAt ?? run.createdAt);
    return now - since > STUCK_RUNNING_HOURS * 3600_000 ? 'stuck' : undefined;
  }
  return undefined;
}

/**
 * `GET /overview`: the fleet in one answer, built only from what the other
 * services already hold and cache — each Model's verdict and firing alerts
 * from the health service (one evaluation per model per cache window,
 * shared with the Model pages), each Pipeline's recent runs from the
 * pipeline service (reused for 30 s across overviews), and GPUs per team and cluster from the quota service's
 * per-cluster refresh (one list per kind per cluster), notebooks holding
 * idle GPUs from the idle detection (one cycle per 30 s across overviews),
 * and stale Datasets from the verdicts the dataset-facts service already
 * reached (no storage is read for the overview). The catalog is read
 * with the caller's credentials, so everyone sees only the entities they may
 * see; owners are shown by their catalog names.
 *
 * @internal
 */
export class OverviewService {
  static create(options: {
    catalog: CatalogService;
    healthService: ModelHealthService;
    pipelineRuns: PipelineRunsService;
    quotaService: QuotaService;
    idleNotebooks: Pick<IdleNotebooks, 'snapshot'>;
    datasetFacts: Pick<DatasetFactsService, 'lastVerdict'>;
    logger: LoggerService;
  }): OverviewService {
    return new OverviewService(options);
  }

  private readonly runsCache = new CoalescingCache<PipelineRun[]>({
    ttlMs: RUNS_TTL_MS,
    staleMs: RUNS_TTL_MS,
    maxEntries: 5000,
  });

  private readonly idleCache = new CoalescingCache<IdleSnapshot>({
    ttlMs: IDLE_TTL_MS,
    staleMs: IDLE_TTL_MS,
    maxEntries: 1,
    // Prometheus down: say so now, and ask again next time.
    keep: s => s.status !== 'unavailable',
  });

  private constructor(
    private readonly options: {
      catalog: CatalogService;
      healthService: ModelHealthService;
      pipelineRuns: PipelineRunsService;
      quotaService: QuotaService;
      idleNotebooks: Pick<IdleNotebooks, 'snapshot'>;
      datasetFacts: Pick<DatasetFactsService, 'lastVerdict'>;
      logger: LoggerService;
    },
  ) {}

  async getOverview(
    credentials: BackstageCredentials,
    now = Date.now(),
  ): Promise<MlOverviewResponse> {
    const { catalog } = this.options;
    const [models, pipelines, datasets, quotas, idle] = await Promise.all([
      catalog
        .getEntities({ filter: { kind: MODEL_KIND } }, { credentials })
        .then(r => r.items),
      catalog
        .getEntities({ filter: { kind: PIPELINE_KIND } }, { credentials })
        .then(r => r.items),
      catalog
        .getEntities({ filter: { kind: DATASET_KIND } }, { credentials })
        .then(r => r.items.filter(isDatasetEntity)),
      this.options.quotaService.getQuotas(),
      this.idleCache.get('idle', () => this.options.idleNotebooks.snapshot()),
    ]);
    const [health, runs] = await Promise.all([
      this.health(models),
      this.runs(pipelines, credentials),
    ]);

    const ownerRefs = new Set<string>();
    for (const e of [...models, ...pipelines, ...datasets]) {
      const ref = (e.spec as any)?.owner;
      if (typeof ref === 'string') ownerRefs.add(ownerRef(ref));
    }
    for (const q of quotas.quotas) if (q.team) ownerRefs.add(q.team);
    for (const n of idle.items) {
      if (n.team) ownerRefs.add(n.team);
      ownerRefs.add(n.createdBy);
    }
    const owners = await this.owners([...ownerRefs], credentials);
    const ownerOf = (e: Entity) => {
      const ref = (e.spec as any)?.owner;
      return typeof ref === 'string' ? owners(ownerRef(ref)) : undefined;
    };

    const modelItems: MlOverviewModel[] = models.map((e, i) => {
      const h = health.results[i];
      const owner = ownerOf(e);
      return {
        entityRef: stringifyEntityRef(e),
        title: titleOf(e),
        ...(owner ? { owner } : {}),
        verdict: h?.verdict ?? 'unknown',
        ...(h?.reason ? { reason: h.reason } : {}),
        firingAlerts: h?.alerts.length ?? 0,
      };
    });
    modelItems.sort(
      (a, b) =>
        VERDICT_RANK[a.verdict] - VERDICT_RANK[b.verdict] ||
        a.title.localeCompare(b.title),
    );
    const byVerdict: Record<string, number> = {
      failing: 0,
      degraded: 0,
      unknown: 0,
      healthy: 0,
    };
    for (const m of modelItems) byVerdict[m.verdict] += 1;

    const alerts = models
      .flatMap((e, i) =>
        (health.results[i]?.alerts ?? []).map(a => {
          const owner = ownerOf(e);
          return {
            modelRef: stringifyEntityRef(e),
            modelTitle: titleOf(e),
            ...(owner ? { owner } : {}),
            name: a.name,
            severity: a.severity,
            ...(a.summary ? { summary: a.summary } : {}),
            startsAt: a.startsAt,
          };
        }),
      )
      .sort((a, b) => b.startsAt.localeCompare(a.startsAt));

    const runItems: MlOverviewRun[] = [];
    pipelines.forEach((e, i) => {
      const owner = ownerOf(e);
      for (const run of runs.results[i] ?? []) {
        const problem = runProblem(run, now);
        if (!problem) continue;
        const at = run.finishedAt ?? run.startedAt ?? run.createdAt;
        runItems.push({
          pipelineRef: stringifyEntityRef(e),
          pipelineTitle: titleOf(e),
          ...(owner ? { owner } : {}),
          runId: run.id,
          problem,
          status: run.rawStatus ?? run.status,
          ...(run.message ? { message: run.message } : {}),
          ...(at ? { at } : {}),
          ...(run.uiUrl ? { uiUrl: run.uiUrl } : {}),
        });
      }
    });
    runItems.sort((a, b) => (b.at ?? '').localeCompare(a.at ?? ''));

    return {
      generatedAt: new Date(now).toISOString(),
      models: {
        total: models.length,
        byVerdict,
        items: modelItems,
        problems: health.problems,
      },
      alerts: { items: alerts, problems: [] },
      pipelines: {
        total: pipelines.length,
        items: runItems,
        problems: runs.problems,
      },
      gpus: {
        items: gpuRows(quotas.quotas, owners),
        clusters: quotas.clusters.map(c => ({
          name: c.name,
          available: c.available,
          ...(c.error ? { error: c.error } : {}),
          ...(c.notes?.length ? { notes: c.notes } : {}),
        })),
      },
      idleNotebooks: {
        status: idle.status,
        ...(idle.message ? { message: idle.message } : {}),
        threshold: idle.threshold,
        afterSeconds: idle.afterSeconds,
        gpus: idle.items.reduce((sum, n) => sum + n.gpus, 0),
        items: idle.items.map(n => ({
          cluster: n.cluster,
          namespace: n.namespace,
          name: n.name,
          ...(n.team ? { team: owners(n.team) } : {}),
          createdBy: owners(n.createdBy),
          gpus: n.gpus,
          utilization: n.utilization,
          idleSeconds: n.idleSeconds,
          idleAtLeast: n.idleAtLeast,
          exempt: n.exempt,
        })),
        checkedAt: idle.checkedAt,
      },
      datasets: this.staleDatasets(datasets, ownerOf),
    };
  }

  /** Datasets past their objective by the verdicts already reached; nothing is read. */
  private staleDatasets(
    datasets: DatasetEntityV1alpha1[],
    ownerOf: (e: Entity) => MlOverviewOwner | undefined,
  ): MlOverviewResponse['datasets'] {
    const withObjective = datasets.filter(d => d.spec.freshness?.maxAge);
    let known = 0;
    const items: MlOverviewResponse['datasets']['items'] = [];
    for (const d of withObjective) {
      const facts = this.options.datasetFacts.lastVerdict(d);
      if (!facts) continue;
      known += 1;
      if (facts.freshness.verdict !== 'stale') continue;
      const owner = ownerOf(d);
      items.push({
        entityRef: stringifyEntityRef(d),
        title: titleOf(d),
        ...(owner ? { owner } : {}),
        maxAge: d.spec.freshness!.maxAge!,
        reason: facts.freshness.reason,
        ...(facts.freshness.changedAt
          ? { changedAt: facts.freshness.changedAt }
          : {}),
        checkedAt: facts.checkedAt,
      });
    }
    items.sort(
      (a, b) =>
        (a.changedAt ?? '').localeCompare(b.changedAt ?? '') ||
        a.title.localeCompare(b.title),
    );
    return {
      total: datasets.length,
      withObjective: withObjective.length,
      known,
      items,
    };
  }

  /** Each model's verdict from the health service (its cache answers when warm). */
  private async health(models: Entity[]) {
    const window = parseHealthWindow();
    const problems: Array<{ source: string; error: string }> = [];
    const results = await mapLimited(models, CONCURRENCY, async e => {
      try {
        return await this.options.healthService.getHealth(e, window);
      } catch (err) {
        // a model whose annotations are wrong says so in its row, not as a 500
        return {
          verdict: 'unknown',
          reason: (err as Error).message,
          alerts: [],
        } as unknown as ModelHealthResponse;
      }
    });
    return { results, problems };
  }

  private async runs(pipelines: Entity[], credentials: BackstageCredentials) {
    const problems: Array<{ source: string; error: string }> = [];
    const results = await mapLimited(pipelines, CONCURRENCY, async e => {
      const pipelineRef = stringifyEntityRef(e);
      try {
        return await this.runsCache.get(pipelineRef, () =>
          this.options.pipelineRuns
            .listRuns({ pipelineRef, credentials, limit: RUNS_PER_PIPELINE })
            .then(r => r.runs),
        );
      } catch (err) {
        problems.push({ source: pipelineRef, error: (err as Error).message });
        return [];
      }
    });
    return { results, problems };
  }

  /** Owner names from one catalog read of every owner ref. */
  private async owners(
    refs: string[],
    credentials: BackstageCredentials,
  ): Promise<(ref: string) => MlOverviewOwner> {
    const names = new Map<string, string>();
    if (refs.length) {
      try {
        const { items } = await this.options.catalog.getEntitiesByRefs(
          { entityRefs: refs },
          { credentials },
        );
        items.forEach((e, i) => {
          if (e) names.set(refs[i], ownerName(e));
        });
      } catch (err) {
        this.options.logger.warn(
          `overview: owner names unavailable: ${(err as Error).message}`,
        );
      }
    }
    return ref => ({
      ref,
      name: names.get(ref) ?? ref.replace(/^[^:]+:(default\/)?/, ''),
    });
  }
}

/** `fraud-team` → `group:default/fraud-team`, as the catalog resolves a bare owner. */
function ownerRef(ref: string): string {
  try {
    return stringifyEntityRef(
      parseEntityRef(ref, {
        defaultKind: 'group',
        defaultNamespace: 'default',
      }),
    );
  } catch {
    return ref;
  }
}
