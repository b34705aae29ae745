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
import type { ModelVerdict } from '../monitoring/evaluateHealth';
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

/** Pipeline run reads one overview runs at once, so a cold fleet does not flood the orchestrators. */
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
/**
 * How old a model's verdict may be before the overview asks the health
 * service again, in the background: the overview answers from the verdicts
 * it holds and never waits on a known model.
 */
const VERDICT_REFRESH_MS = 30_000;
/** How long an overview waits for models never evaluated before answering without them. */
const FIRST_WAIT_MS = 3_000;
/** How long an overview waits for a quota refresh before answering the last quotas. */
const QUOTAS_WAIT_MS = 100;
/** Rows each section lists at most (worst or busiest first); counts cover all. */
export const OVERVIEW_MAX_ROWS = 50;
/**
 * How long one caller's overview is reused: the fleet at a glance for a
 * few seconds. An answer with a problem in it is not kept.
 */
const RESPONSE_TTL_MS = 2_000;
/**
 * For this long after that, the caller's last overview is still answered at
 * once while one rebuild runs in the background, so no request waits on a
 * rebuild once the caller is warm (the verdicts, quotas and idle notebooks
 * it is built from are themselves refreshed in the background).
 */
const RESPONSE_STALE_MS = 30_000;

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
 * from the health service (one instant query per panel for the fleet per
 * refresh, no chart series, in the cache the Model pages read), each Pipeline's recent runs from the
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

  private readonly responses = new CoalescingCache<MlOverviewResponse>({
    ttlMs: RESPONSE_TTL_MS,
    staleMs: RESPONSE_STALE_MS,
    maxEntries: 1000,
    keep: r =>
      !r.models.problems.length &&
      !r.pipelines.problems.length &&
      r.gpus.clusters.every(c => c.available) &&
      r.idleNotebooks.status !== 'unavailable',
  });
  /** Each model's last verdict, by entity ref, and when it was reached. */
  private readonly verdicts = new Map<
    string,
    { health: ModelVerdict; at: number }
  >();
  /** Models waiting for an evaluation, and whether a batch of them runs. */
  private readonly queued = new Map<string, Entity>();
  private readonly waiting = new Map<string, Promise<void>>();
  private readonly done = new Map<string, () => void>();
  private running = false;
  private pumpQueued = false;
  private lastQuotas?: Awaited<ReturnType<QuotaService['getQuotas']>>;

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

  /**
   * The overview as `credentials` may see it, reused for 2 s per caller
   * (then answered stale while it is rebuilt). The same object is answered
   * to every request of its window, and must not be changed: the route
   * sends it with `sendCachedJson`, serialized and gzipped once.
   */
  async getOverview(
    credentials: BackstageCredentials,
    now?: number,
  ): Promise<MlOverviewResponse> {
    const principal = credentials.principal as {
      type: string;
      userEntityRef?: string;
      subject?: string;
    };
    const key = `${principal.type}:${
      principal.userEntityRef ?? principal.subject ?? ''
    }`;
    return this.responses.get(key, () =>
      this.build(credentials, now ?? Date.now()),
    );
  }

  private async build(
    credentials: BackstageCredentials,
    now: number,
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
      this.quotas(),
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

    const gpus = gpuRows(quotas.quotas, owners);
    return {
      generatedAt: new Date(now).toISOString(),
      models: {
        total: models.length,
        byVerdict,
        evaluating: health.evaluating,
        items: modelItems.slice(0, OVERVIEW_MAX_ROWS),
        problems: health.problems,
      },
      alerts: {
        total: alerts.length,
        items: alerts.slice(0, OVERVIEW_MAX_ROWS),
        problems: [],
      },
      pipelines: {
        total: pipelines.length,
        failedOrStuck: runItems.length,
        items: runItems.slice(0, OVERVIEW_MAX_ROWS),
        problems: runs.problems,
      },
      gpus: {
        total: gpus.length,
        items: gpus.slice(0, OVERVIEW_MAX_ROWS),
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
        total: idle.items.length,
        items: idle.items.slice(0, OVERVIEW_MAX_ROWS).map(n => ({
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
      stale: items.length,
      items: items.slice(0, OVERVIEW_MAX_ROWS),
    };
  }

  /**
   * Each model's verdict as last reached, refreshed in the background once
   * older than {@link VERDICT_REFRESH_MS} (with it, every verdict past half
   * that age, so the fleet falls due together): the models due are
   * evaluated in one batch at a time across all overviews, through the health service
   * and its cache (`getHealthMany`: one Prometheus instant query per panel
   * for the whole batch, and no chart series). Models never evaluated are waited for up to
   * {@link FIRST_WAIT_MS}; after that they show as not evaluated yet.
   */
  private async health(models: Entity[]) {
    const problems: Array<{ source: string; error: string }> = [];
    const now = Date.now();
    const firsts: Promise<void>[] = [];
    const refs = models.map(e => stringifyEntityRef(e));
    let due = false;
    refs.forEach((ref, i) => {
      const known = this.verdicts.get(ref);
      if (!known) firsts.push(this.evaluate(ref, models[i]));
      else if (now - known.at > VERDICT_REFRESH_MS) due = true;
    });
    if (due || firsts.length) {
      // The verdicts past half their age go with the due ones: models judged
      // a little apart (a slow first batch, a model added later) then come
      // due together, and a refresh is one query per panel for the fleet
      // rather than a few batches in a row.
      refs.forEach((ref, i) => {
        const known = this.verdicts.get(ref);
        if (known && now - known.at > VERDICT_REFRESH_MS / 2) {
          this.evaluate(ref, models[i]);
        }
      });
    }
    if (firsts.length) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(firsts),
        new Promise(resolve => {
          timer = setTimeout(resolve, FIRST_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    let evaluating = 0;
    const results = models.map(e => {
      const known = this.verdicts.get(stringifyEntityRef(e));
      if (known) return known.health;
      evaluating += 1;
      return {
        verdict: 'unknown',
        reason: 'not evaluated yet: being checked now',
        alerts: [],
      } as unknown as ModelVerdict;
    });
    return { results, problems, evaluating };
  }

  /**
   * The quota service's answer; while it refreshes (every `refreshSeconds`,
   * one list per kind per cluster), the last one is answered instead of
   * making every overview wait for the lists.
   */
  private async quotas() {
    const fresh = this.options.quotaService.getQuotas().then(q => {
      this.lastQuotas = q;
      return q;
    });
    if (!this.lastQuotas) return fresh;
    // answered late, its failure is nobody's to handle
    fresh.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const last = this.lastQuotas;
    try {
      return await Promise.race([
        fresh,
        new Promise<typeof last>(resolve => {
          timer = setTimeout(() => resolve(last), QUOTAS_WAIT_MS);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Queues one evaluation of `ref` (once, however many ask). */
  private evaluate(ref: string, entity: Entity): Promise<void> {
    let waiting = this.waiting.get(ref);
    if (!waiting) {
      waiting = new Promise<void>(resolve => this.done.set(ref, resolve));
      this.waiting.set(ref, waiting);
      this.queued.set(ref, entity);
      // after the caller has queued all it has: one batch, not the first
      // model alone and then the rest
      if (!this.pumpQueued) {
        this.pumpQueued = true;
        queueMicrotask(() => {
          this.pumpQueued = false;
          this.pump();
        });
      }
    }
    return waiting;
  }

  /** Evaluates every queued model in one batch, one batch at a time. */
  private pump() {
    if (this.running || !this.queued.size) return;
    const batch = [...this.queued];
    this.queued.clear();
    this.running = true;
    const answers = this.options.healthService.getHealthMany(
      batch.map(([, entity]) => entity),
      parseHealthWindow(),
    );
    Promise.all(
      batch.map(([ref], i) =>
        answers[i]
          .catch(
            // a model whose annotations are wrong says so in its row, not as a 500
            err =>
              ({
                verdict: 'unknown',
                reason: (err as Error).message,
                alerts: [],
              } as unknown as ModelVerdict),
          )
          .then(health => {
            this.verdicts.delete(ref);
            this.verdicts.set(ref, { health, at: Date.now() });
            if (this.verdicts.size > 50_000) {
              this.verdicts.delete(this.verdicts.keys().next().value!);
            }
            this.waiting.delete(ref);
            this.done.get(ref)?.();
            this.done.delete(ref);
          }),
      ),
    ).then(() => {
      this.running = false;
      this.pump();
    });
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
