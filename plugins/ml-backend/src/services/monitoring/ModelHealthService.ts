import type { LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ANNOTATION_METRICS_SELECTOR,
  HealthWindow,
  ModelHealthResponse,
  ModelHealthSource,
} from '@mlplatform/plugin-ml-common';
import type { MetricsProfile } from '@mlplatform/plugin-ml-node';
import { CoalescingCache } from '../coalescingCache';
import { AlertmanagerClient } from './AlertmanagerClient';
import {
  chartHealth,
  evaluateHealth,
  evaluateHealthMany,
  HealthEvaluation,
  ModelVerdict,
  unknownHealth,
} from './evaluateHealth';
import { DEFAULT_METRICS_PROFILE } from './metricsProfiles';
import { readModelAlerts } from './modelAlerts';
import {
  configKey,
  MetricsProfiles,
  ModelConfig,
  readModelConfig,
} from './modelConfig';
import { PrometheusClient } from './PrometheusClient';

/**
 * Options of {@link ModelHealthService.create}.
 *
 * @internal
 */
export interface ModelHealthServiceOptions {
  /** Absent: every verdict is `unknown`, saying Prometheus is not configured. */
  prometheus?: PrometheusClient;
  /** Absent: no alerts are listed. */
  alertmanager?: AlertmanagerClient;
  /** Profiles by name, e.g. the built-in ones plus those of backend modules. */
  profiles: Map<string, MetricsProfile>;
  logger: LoggerService;
  /**
   * How long a computed answer is fresh per (model, window). Default 10000.
   * For one more TTL it is still served while a refresh runs in the
   * background, so no viewer waits for Prometheus once a model is warm.
   */
  cacheTtlMs?: number;
  /** Profile of models without `mlplatform.io/metrics-profile`. Default `openmetrics`. */
  defaultProfile?: string;
  /**
   * Drift score above which a model is out of its objective, for Models
   * without `spec.slo.maxDriftScore`. Default 0.3; `null` disables the drift
   * objective for them.
   */
  driftThreshold?: number | null;
}

/**
 * Counters of {@link ModelHealthService}.
 *
 * @internal
 */
export interface ModelHealthServiceStats {
  /** Verdicts computed from Prometheus / Alertmanager. */
  evaluations: number;
  /** Models whose chart series were asked from Prometheus, for a Model page. */
  charts: number;
  /** Answers served fresh from the per (model, window) cache. */
  cacheHits: number;
  /** Answers served stale (up to one TTL past expiry) while a refresh ran. */
  staleHits: number;
  /** Calls that joined an identical evaluation in flight. */
  coalesced: number;
}

/**
 * What the cache holds per (model, window): the model judged on its instant
 * values, and its chart series once a Model page asked for them.
 */
interface HealthEntry {
  /** Absent for a model without a metrics selector: nothing to chart. */
  evaluation?: HealthEvaluation;
  verdict: ModelVerdict;
  /** The Model page's answer, asked once per entry however many viewers. */
  page?: Promise<ModelHealthResponse>;
  /** Whether a Model page asked for it: its refresh then charts it too. */
  viewed?: boolean;
}

/**
 * A model's health: the panels of its metrics profile queried from
 * Prometheus, compared with its `spec.slo`, plus its firing alerts from
 * Alertmanager. The annotations are read in `modelConfig.ts`, the panels
 * judged in `evaluateHealth.ts` (verdict rules in `verdict.ts` and
 * docs/health.md), alerts read in `modelAlerts.ts`.
 *
 * Answers are cached per (model, window) for `cacheTtlMs`, then served
 * stale for one more TTL while a single background refresh runs; identical
 * evaluations in flight are shared. Many viewers of the same model thus
 * cost one query per panel per TTL. Answers made while Prometheus is down
 * are not cached, so an outage and the recovery show on the next request.
 * A fleet (the overview) is judged with `getHealthMany`: each panel is one
 * instant query for the fleet instead of one per model, by the same rule.
 * Chart series are only asked for a Model page (`getHealth`), once per
 * cache entry: when its model is refreshed for the overview while its page
 * is being viewed, its series are refreshed with it, so the page stays warm.
 *
 * @internal
 */
export class ModelHealthService {
  private readonly cache: CoalescingCache<HealthEntry>;
  private evaluations = 0;
  private charts = 0;

  static create(options: ModelHealthServiceOptions): ModelHealthService {
    const defaultProfile = options.defaultProfile ?? DEFAULT_METRICS_PROFILE;
    if (!options.profiles.has(defaultProfile)) {
      throw new TypeError(
        `default metrics profile "${defaultProfile}" is not among the profiles (${[
          ...options.profiles.keys(),
        ].join(', ')})`,
      );
    }
    return new ModelHealthService(options, {
      profiles: options.profiles,
      defaultProfile,
    });
  }

  private constructor(
    private readonly options: ModelHealthServiceOptions,
    private readonly profiles: MetricsProfiles,
  ) {
    const ttlMs = options.cacheTtlMs ?? 10000;
    this.cache = new CoalescingCache({
      ttlMs,
      staleMs: ttlMs,
      // a fleet's models, as the overview asks for them all
      maxEntries: 20_000,
      keep: entry => entry.verdict.prometheus.state !== 'unreachable',
    });
  }

  /** A snapshot of the counters. */
  stats(): ModelHealthServiceStats {
    return {
      evaluations: this.evaluations,
      charts: this.charts,
      ...this.cache.counters,
    };
  }

  /**
   * The health of a Model over `window`, as parsed by `parseHealthWindow`
   * of ml-common at the edge, with its chart series: a Model page's answer.
   *
   * @throws InputError for a metrics or alert selector that is not a list
   * of label matchers, or an unknown metrics profile. Upstream failures do
   * not throw: they give verdict `unknown` with a reason.
   */
  async getHealth(
    entity: Entity,
    window: HealthWindow,
  ): Promise<ModelHealthResponse> {
    const entry = await this.lookup(entity, window, model =>
      this.evaluate(model),
    );
    entry.viewed = true;
    return this.page(entry);
  }

  /**
   * The health of one Model without its chart series (the MCP tool, a
   * serving revision's verdict): `getHealthMany` of that one entity, so
   * judging it costs instant queries only and no range query is made for
   * charts nobody draws.
   */
  getVerdict(entity: Entity, window: HealthWindow): Promise<ModelVerdict> {
    return this.getHealthMany([entity], window)[0];
  }

  /**
   * The verdicts of many Models at once (the overview), one promise per
   * entity in order, each settling with the answer of `getHealth` of that
   * entity without its chart series: the same verdict, from the same cache,
   * which it fills for the Model pages too. The models not answered from
   * the cache are judged together: each panel is one Prometheus instant
   * query for all of them (`evaluateHealthMany`) rather than one per model,
   * and no chart series are asked, but for models whose page was viewed
   * since their last evaluation (so that page stays warm).
   */
  getHealthMany(
    entities: Entity[],
    window: HealthWindow,
  ): Array<Promise<ModelVerdict>> {
    const batch: Array<{
      model: ModelConfig;
      charted: boolean;
      resolve: (answer: Promise<HealthEntry>) => void;
    }> = [];
    // `lookup` reaches the cache before its first await, so every model to
    // evaluate is in `batch` once the map returns.
    const answers = entities.map(entity =>
      this.lookup(
        entity,
        window,
        (model, stale) =>
          new Promise(resolve =>
            batch.push({ model, charted: !!stale?.viewed, resolve }),
          ),
      ).then(entry => entry.verdict),
    );
    if (batch.length) {
      const evaluated = this.evaluateMany(batch.map(b => b.model));
      batch.forEach((b, i) =>
        b.resolve(
          evaluated[i].then(async entry => {
            if (b.charted) await this.page(entry);
            return entry;
          }),
        ),
      );
    }
    return answers;
  }

  private async lookup(
    entity: Entity,
    window: HealthWindow,
    load: (model: ModelConfig, stale?: HealthEntry) => Promise<HealthEntry>,
  ): Promise<HealthEntry> {
    const entityRef = stringifyEntityRef(entity);
    const model = readModelConfig(entity, entityRef, window, this.profiles);
    if (!model) {
      const answer = unknownHealth({
        entityRef,
        window: window.text,
        reason: `Not configured: add the ${ANNOTATION_METRICS_SELECTOR} annotation (Prometheus label matchers such as namespace="ml", model="my-model") to the Model`,
        prometheus: this.notAsked(this.options.prometheus, 'metrics'),
        alertmanager: this.notAsked(this.options.alertmanager, 'alerts'),
      });
      return { verdict: answer, page: Promise.resolve(answer) };
    }
    return this.cache.get(configKey(model), stale => load(model, stale));
  }

  /**
   * The entry's answer with chart series, asked once per entry however
   * many viewers (a series query that failed shows in `panelErrors` until
   * the entry is refreshed).
   */
  private page(entry: HealthEntry): Promise<ModelHealthResponse> {
    const { prometheus } = this.options;
    if (!entry.page && entry.evaluation && prometheus) {
      this.charts += 1;
      entry.page = chartHealth(entry.evaluation, prometheus);
    }
    return entry.page!;
  }

  /**
   * A configured upstream that was not asked says so, rather than `ok`:
   * nothing is known about the model from it.
   */
  private notAsked(
    client: PrometheusClient | AlertmanagerClient | undefined,
    what: string,
  ): ModelHealthSource {
    if (!client) return { state: 'not-configured' };
    return {
      state: 'not-queried',
      message: `The Model has no ${ANNOTATION_METRICS_SELECTOR} annotation, so its ${what} were not read`,
    };
  }

  private evaluateMany(models: ModelConfig[]): Array<Promise<HealthEntry>> {
    const { prometheus, alertmanager, logger } = this.options;
    if (!prometheus) return models.map(m => this.evaluate(m));
    this.evaluations += models.length;
    return evaluateHealthMany({
      models,
      prometheus,
      alerts: models.map(m =>
        readModelAlerts(alertmanager, m.alertMatchers, logger),
      ),
      driftThreshold: this.options.driftThreshold,
    }).map(async evaluated => {
      const evaluation = await evaluated;
      return { evaluation, verdict: evaluation.verdict };
    });
  }

  /** A model judged, with its chart series asked at the same time. */
  private async evaluate(model: ModelConfig): Promise<HealthEntry> {
    this.evaluations += 1;
    const { prometheus, alertmanager, logger } = this.options;
    const alerts = readModelAlerts(alertmanager, model.alertMatchers, logger);
    if (!prometheus) {
      const checkedAt = new Date().toISOString();
      const read = await alerts;
      const answer: ModelHealthResponse = {
        ...unknownHealth({
          entityRef: model.entityRef,
          window: model.window.text,
          reason:
            'Prometheus is not configured: set ml.prometheus.url in app-config.yaml',
          prometheus: { state: 'not-configured' },
          alertmanager: read.alertmanager,
        }),
        profile: model.profile.name,
        alerts: read.alerts,
        checkedAt,
      };
      return { verdict: answer, page: Promise.resolve(answer) };
    }
    this.charts += 1;
    const { evaluation, charted } = await evaluateHealth({
      model,
      prometheus,
      alerts,
      driftThreshold: this.options.driftThreshold,
      charts: true,
    });
    return {
      evaluation,
      verdict: evaluation.verdict,
      page: Promise.resolve(charted!),
    };
  }
}
