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
import { evaluateHealth, unknownHealth } from './evaluateHealth';
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
  /** Answers computed from Prometheus / Alertmanager. */
  evaluations: number;
  /** Answers served fresh from the per (model, window) cache. */
  cacheHits: number;
  /** Answers served stale (up to one TTL past expiry) while a refresh ran. */
  staleHits: number;
  /** Calls that joined an identical evaluation in flight. */
  coalesced: number;
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
 *
 * @internal
 */
export class ModelHealthService {
  private readonly cache: CoalescingCache<ModelHealthResponse>;
  private evaluations = 0;

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
      maxEntries: 1000,
      keep: response => response.prometheus.state !== 'unreachable',
    });
  }

  /** A snapshot of the counters. */
  stats(): ModelHealthServiceStats {
    return { evaluations: this.evaluations, ...this.cache.counters };
  }

  /**
   * The health of a Model over `window`, as parsed by `parseHealthWindow`
   * of ml-common at the edge.
   *
   * @throws InputError for a metrics or alert selector that is not a list
   * of label matchers, or an unknown metrics profile. Upstream failures do
   * not throw: they give verdict `unknown` with a reason.
   */
  async getHealth(
    entity: Entity,
    window: HealthWindow,
  ): Promise<ModelHealthResponse> {
    const entityRef = stringifyEntityRef(entity);
    const model = readModelConfig(entity, entityRef, window, this.profiles);
    if (!model) {
      return unknownHealth({
        entityRef,
        window: window.text,
        reason: `Not configured: add the ${ANNOTATION_METRICS_SELECTOR} annotation (Prometheus label matchers such as namespace="ml", model="my-model") to the Model`,
        prometheus: this.notAsked(this.options.prometheus, 'metrics'),
        alertmanager: this.notAsked(this.options.alertmanager, 'alerts'),
      });
    }
    return this.cache.get(configKey(model), () => this.evaluate(model));
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

  private async evaluate(model: ModelConfig): Promise<ModelHealthResponse> {
    this.evaluations += 1;
    const { prometheus, alertmanager, logger } = this.options;
    const alerts = readModelAlerts(alertmanager, model.alertMatchers, logger);
    if (!prometheus) {
      const checkedAt = new Date().toISOString();
      const read = await alerts;
      return {
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
    }
    return evaluateHealth({
      model,
      prometheus,
      alerts,
      driftThreshold: this.options.driftThreshold,
    });
  }
}
