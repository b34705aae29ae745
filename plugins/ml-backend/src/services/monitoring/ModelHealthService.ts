import type { LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  ANNOTATION_ALERT_SELECTOR,
  ANNOTATION_METRICS_PROFILE,
  ANNOTATION_METRICS_SELECTOR,
  LabelMatcher,
  ModelHealthAlert,
  ModelHealthCurrent,
  ModelHealthObjective,
  ModelHealthPanel,
  ModelHealthPoint,
  ModelHealthResponse,
  ModelHealthSource,
  ModelSlo,
  parseLabelMatchers,
} from '@mlplatform/plugin-ml-common';
import type { MetricsProfile } from '@mlplatform/plugin-ml-node';
import { AlertmanagerClient } from './AlertmanagerClient';
import {
  DEFAULT_METRICS_PROFILE,
  formatLabelMatchers,
  parseWindow,
  renderQuery,
} from './metricsProfiles';
import {
  PrometheusClient,
  PrometheusInstantResult,
  PrometheusQueryError,
  PrometheusRangeResult,
} from './PrometheusClient';
import { combineVerdict, evaluateObjectives } from './verdict';

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

/** Shortest and longest window of the health endpoint. */
export const MIN_HEALTH_WINDOW_SECONDS = 5 * 60;
export const MAX_HEALTH_WINDOW_SECONDS = 7 * 86400;

/**
 * Parses the health window (`5m` to `7d`).
 *
 * @throws InputError for anything else.
 * @internal
 */
export function parseHealthWindow(window: string): number {
  let seconds: number;
  try {
    seconds = parseWindow(window);
  } catch (error) {
    throw new InputError(`Invalid window: ${(error as Error).message}`);
  }
  if (
    seconds < MIN_HEALTH_WINDOW_SECONDS ||
    seconds > MAX_HEALTH_WINDOW_SECONDS
  ) {
    throw new InputError(
      `Invalid window: must be between 5m and 7d, got ${JSON.stringify(
        window,
      )}`,
    );
  }
  return seconds;
}

const STEPS = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
const MAX_POINTS = 120;

/**
 * Chart step for a window: the smallest of a few round steps giving at most
 * 120 points, which is 60 to 120 points for windows from 5m to 7d.
 *
 * @internal
 */
export function stepFor(windowSeconds: number): number {
  return (
    STEPS.find(s => windowSeconds / s <= MAX_POINTS) ?? STEPS[STEPS.length - 1]
  );
}

/**
 * Range of `rate()` for chart points: at least two steps so points overlap
 * and no sample falls between them, and at least 2m so a 30s scrape
 * interval still yields four samples.
 */
function seriesRateWindow(step: number): string {
  return `${Math.max(2 * step, 120)}s`;
}

/**
 * Share of successful scrapes of the model's targets. Not part of
 * `MetricsProfile`, because `up` is the same whatever the runtime.
 */
const AVAILABILITY_QUERY = 'avg(avg_over_time(up{{{selector}}}[{{window}}]))';

const PANELS: ModelHealthPanel[] = [
  'latencyP50',
  'latencyP95',
  'latencyP99',
  'errorRate',
  'throughput',
  'drift',
  'gpuUtilization',
  'gpuMemoryUsed',
  'availability',
];

const CURRENT_FIELD: Record<ModelHealthPanel, keyof ModelHealthCurrent> = {
  latencyP50: 'p50',
  latencyP95: 'p95',
  latencyP99: 'p99',
  errorRate: 'errorRate',
  throughput: 'throughput',
  drift: 'drift',
  gpuUtilization: 'gpuUtilization',
  gpuMemoryUsed: 'gpuMemoryBytes',
  availability: 'availability',
};

interface ModelConfig {
  entityRef: string;
  matchers: LabelMatcher[];
  selectorText: string;
  alertMatchers: LabelMatcher[];
  profile: MetricsProfile;
  slo?: ModelSlo;
  window: string;
  windowSeconds: number;
}

interface CacheEntry {
  /** The last good answer, resolved; the same promise for every caller. */
  value?: Promise<ModelHealthResponse>;
  /** Until when `value` is fresh; it is served stale for one more TTL. */
  expiresAt: number;
  /** Evaluation in flight. */
  pending?: Promise<ModelHealthResponse>;
}

function finite(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function instantValue(data: PrometheusInstantResult): number | null {
  if (data.resultType === 'scalar') return finite(data.result[1]);
  if (data.resultType !== 'vector' || data.result.length === 0) return null;
  // Templates aggregate to one series; should a custom one not, the worst
  // (highest) value is the one to judge.
  const values = data.result
    .map(s => finite(s.value[1]))
    .filter((v): v is number => v !== null);
  return values.length ? Math.max(...values) : null;
}

/**
 * Points on every step of the window, `null` where Prometheus has none, so
 * charts span the whole window and show gaps as gaps. Uses the same
 * alignment as `PrometheusClient.queryRange`.
 */
function seriesPoints(
  data: PrometheusRangeResult,
  start: number,
  end: number,
  step: number,
): ModelHealthPoint[] {
  const first = data.result[0];
  if (!first) return [];
  const values = new Map(first.values.map(([t, v]) => [t, finite(v)]));
  const points: ModelHealthPoint[] = [];
  const from = Math.floor(start / step) * step;
  const to = Math.ceil(end / step) * step;
  for (let t = from; t <= to; t += step) {
    points.push({ t, v: values.get(t) ?? null });
  }
  return points;
}

function emptyCurrent(): ModelHealthCurrent {
  return {
    p50: null,
    p95: null,
    p99: null,
    errorRate: null,
    throughput: null,
    drift: null,
    gpuUtilization: null,
    gpuMemoryBytes: null,
    availability: null,
  };
}

function emptySeries(): Record<ModelHealthPanel, ModelHealthPoint[]> {
  return Object.fromEntries(PANELS.map(p => [p, []])) as unknown as Record<
    ModelHealthPanel,
    ModelHealthPoint[]
  >;
}

function nothingToJudge(
  model: ModelConfig,
  objectives: ModelHealthObjective[],
): string {
  if (!model.slo) {
    return 'The Model has no spec.slo: add latencyP95Ms, errorRate or availability to get a verdict';
  }
  return `None of the objectives has data (${objectives
    .map(o => o.name)
    .join(', ')}); check that the model server exposes the ${
    model.profile.name
  } profile's metrics`;
}

function isUnreachable(error: unknown): boolean {
  if (!(error instanceof PrometheusQueryError)) return false;
  return (
    error.errorType === 'network' ||
    error.errorType === 'timeout' ||
    error.status >= 500 ||
    error.status === 0
  );
}

/**
 * A model's health: the panels of its metrics profile queried from
 * Prometheus, compared with its `spec.slo`, plus its firing alerts from
 * Alertmanager. Verdict rules are in `verdict.ts` and docs/health.md.
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
  private readonly cache = new Map<string, CacheEntry>();
  private readonly counters: ModelHealthServiceStats = {
    evaluations: 0,
    cacheHits: 0,
    staleHits: 0,
    coalesced: 0,
  };

  static create(options: ModelHealthServiceOptions): ModelHealthService {
    const defaultProfile = options.defaultProfile ?? DEFAULT_METRICS_PROFILE;
    if (!options.profiles.has(defaultProfile)) {
      throw new TypeError(
        `default metrics profile "${defaultProfile}" is not among the profiles (${[
          ...options.profiles.keys(),
        ].join(', ')})`,
      );
    }
    return new ModelHealthService(options, defaultProfile);
  }

  private constructor(
    private readonly options: ModelHealthServiceOptions,
    private readonly defaultProfile: string,
  ) {}

  /** A snapshot of the counters. */
  stats(): ModelHealthServiceStats {
    return { ...this.counters };
  }

  /**
   * The health of a Model over `window` (`5m`..`7d`).
   *
   * @throws InputError for a bad window, a metrics or alert selector that is
   * not a list of label matchers, or an unknown metrics profile. Upstream
   * failures do not throw: they give verdict `unknown` with a reason.
   */
  async getHealth(
    entity: Entity,
    window: string,
  ): Promise<ModelHealthResponse> {
    const windowSeconds = parseHealthWindow(window);
    const entityRef = stringifyEntityRef(entity);
    const annotations = entity.metadata.annotations ?? {};
    const selectorText = annotations[ANNOTATION_METRICS_SELECTOR];
    if (selectorText === undefined || selectorText.trim() === '') {
      return this.unknown(
        entityRef,
        window,
        `Not configured: add the ${ANNOTATION_METRICS_SELECTOR} annotation (Prometheus label matchers such as namespace="ml", model="my-model") to the Model`,
      );
    }
    const model: ModelConfig = {
      entityRef,
      selectorText,
      matchers: this.parseSelector(selectorText, ANNOTATION_METRICS_SELECTOR),
      alertMatchers: [],
      profile: this.profileOf(annotations[ANNOTATION_METRICS_PROFILE]),
      slo: (entity.spec as { slo?: ModelSlo } | undefined)?.slo,
      window,
      windowSeconds,
    };
    const alertSelector = annotations[ANNOTATION_ALERT_SELECTOR];
    model.alertMatchers =
      alertSelector === undefined
        ? model.matchers
        : this.parseSelector(alertSelector, ANNOTATION_ALERT_SELECTOR);

    const key = JSON.stringify([
      entityRef,
      window,
      model.matchers,
      model.alertMatchers,
      model.profile.name,
      model.slo ?? null,
    ]);
    const now = Date.now();
    let entry = this.cache.get(key);
    if (entry?.value && now < entry.expiresAt) {
      this.counters.cacheHits += 1;
      return entry.value;
    }
    if (entry?.value && now < entry.expiresAt + this.ttl()) {
      // Stale: answer at once and refresh behind it, so viewers do not wait
      // for Prometheus each time the cache turns over.
      if (!entry.pending) this.refresh(entry, model);
      this.counters.staleHits += 1;
      return entry.value;
    }
    if (entry?.pending) {
      this.counters.coalesced += 1;
      return entry.pending;
    }
    if (!entry) {
      entry = { expiresAt: 0 };
      this.cache.set(key, entry);
      this.sweep(now);
    }
    return this.refresh(entry, model);
  }

  private ttl(): number {
    return this.options.cacheTtlMs ?? 10000;
  }

  private refresh(
    entry: CacheEntry,
    model: ModelConfig,
  ): Promise<ModelHealthResponse> {
    const pending = this.evaluate(model);
    entry.pending = pending;
    pending.then(
      response => {
        entry.pending = undefined;
        if (response.prometheus.state === 'unreachable') {
          // Not kept: an outage shows on the next request, and so does recovery.
          entry.value = undefined;
          entry.expiresAt = 0;
        } else {
          entry.value = Promise.resolve(response);
          entry.expiresAt = Date.now() + this.ttl();
        }
      },
      () => {
        entry.pending = undefined;
        entry.value = undefined;
        entry.expiresAt = 0;
      },
    );
    return pending;
  }

  private sweep(now: number) {
    if (this.cache.size < 1000) return;
    for (const [key, entry] of this.cache) {
      if (!entry.pending && entry.expiresAt + this.ttl() <= now) {
        this.cache.delete(key);
      }
    }
  }

  private parseSelector(text: string, annotation: string): LabelMatcher[] {
    try {
      const matchers = parseLabelMatchers(text);
      // Also what renderQuery does; checked here so the answer is a 400
      // naming the annotation, before any query is sent.
      formatLabelMatchers(matchers);
      return matchers;
    } catch (error) {
      throw new InputError(
        `The ${annotation} annotation must be Prometheus label matchers like namespace="ml", model="my-model": ${
          (error as Error).message
        }`,
      );
    }
  }

  private profileOf(name: string | undefined): MetricsProfile {
    const wanted = name?.trim() || this.defaultProfile;
    const profile = this.options.profiles.get(wanted);
    if (!profile) {
      throw new InputError(
        `Unknown metrics profile "${wanted}" in the ${ANNOTATION_METRICS_PROFILE} annotation; known profiles: ${[
          ...this.options.profiles.keys(),
        ]
          .sort()
          .join(', ')}`,
      );
    }
    return profile;
  }

  private unknown(
    entityRef: string,
    window: string,
    reason: string,
  ): ModelHealthResponse {
    return {
      entityRef,
      verdict: 'unknown',
      reason,
      window,
      objectives: [],
      current: emptyCurrent(),
      series: emptySeries(),
      alerts: [],
      prometheus: this.options.prometheus
        ? { state: 'ok' }
        : { state: 'not-configured' },
      alertmanager: this.options.alertmanager
        ? { state: 'ok' }
        : { state: 'not-configured' },
      checkedAt: new Date().toISOString(),
    };
  }

  private async evaluate(model: ModelConfig): Promise<ModelHealthResponse> {
    this.counters.evaluations += 1;
    const checkedAt = new Date().toISOString();
    const selector = formatLabelMatchers(model.matchers);
    const alertsPromise = this.readAlerts(model.alertMatchers);

    const { prometheus } = this.options;
    if (!prometheus) {
      const { alerts, alertmanager } = await alertsPromise;
      return {
        ...this.unknown(
          model.entityRef,
          model.window,
          'Prometheus is not configured: set ml.prometheus.url in app-config.yaml',
        ),
        profile: model.profile.name,
        alerts,
        alertmanager,
        checkedAt,
      };
    }

    const step = stepFor(model.windowSeconds);
    const end = Math.floor(Date.now() / 1000);
    const start = end - model.windowSeconds;
    const templates: Partial<Record<ModelHealthPanel, string>> = {
      ...model.profile.queries,
      availability: AVAILABILITY_QUERY,
    };
    const panels = PANELS.filter(p => templates[p]);
    const settled = await Promise.all(
      panels.map(async panel => {
        const template = templates[panel]!;
        // A broken template of a module's profile costs its panel, not the answer.
        const render = (window: string) =>
          new Promise<string>(resolve =>
            resolve(
              renderQuery(template, { matchers: model.matchers, window }),
            ),
          );
        const [instant, series] = await Promise.allSettled([
          render(model.window).then(q => prometheus.query(q)),
          render(seriesRateWindow(step)).then(q =>
            prometheus.queryRange(q, start, end, step),
          ),
        ]);
        return { panel, instant, series };
      }),
    );

    const current = emptyCurrent();
    const series = emptySeries();
    const panelErrors: Partial<Record<ModelHealthPanel, string>> = {};
    let unreachable: unknown;
    let hasData = false;
    for (const { panel, instant, series: range } of settled) {
      for (const result of [instant, range]) {
        if (result.status === 'rejected') {
          if (isUnreachable(result.reason)) unreachable ??= result.reason;
          panelErrors[panel] ??= (result.reason as Error).message;
        }
      }
      if (instant.status === 'fulfilled') {
        current[CURRENT_FIELD[panel]] = instantValue(instant.value);
        if (current[CURRENT_FIELD[panel]] !== null) hasData = true;
      }
      if (range.status === 'fulfilled') {
        series[panel] = seriesPoints(range.value, start, end, step);
        if (series[panel].some(p => p.v !== null)) hasData = true;
      }
    }
    const { alerts, alertmanager } = await alertsPromise;
    const base = {
      entityRef: model.entityRef,
      window: model.window,
      profile: model.profile.name,
      stepSeconds: step,
      alerts,
      alertmanager,
      checkedAt,
    };

    if (unreachable) {
      const detail = this.unreachableDetail(
        unreachable as PrometheusQueryError,
      );
      return {
        ...base,
        verdict: 'unknown',
        reason: `Prometheus at ${prometheus.host} did not answer: ${detail}`,
        objectives: [],
        current: emptyCurrent(),
        series: emptySeries(),
        prometheus: { state: 'unreachable', message: detail },
      };
    }
    const promSource: ModelHealthSource = {
      state: Object.keys(panelErrors).length ? 'error' : 'ok',
      message: `selector ${selector}`,
    };
    const withErrors = Object.keys(panelErrors).length ? { panelErrors } : {};
    if (!hasData) {
      const reason =
        Object.keys(panelErrors).length === panels.length
          ? `Prometheus rejected every query of the ${
              model.profile.name
            } profile: ${Object.values(panelErrors)[0]}`
          : `Prometheus has no series for {${selector}} in the last ${model.window}; check the ${ANNOTATION_METRICS_SELECTOR} annotation and that Prometheus scrapes the model server`;
      return {
        ...base,
        ...withErrors,
        verdict: 'unknown',
        reason,
        objectives: evaluateObjectives(
          model.slo,
          current,
          this.driftThreshold(model.slo),
        ),
        current,
        series,
        prometheus: promSource,
      };
    }

    const objectives = evaluateObjectives(
      model.slo,
      current,
      this.driftThreshold(model.slo),
    );
    const judged = combineVerdict(objectives, alerts);
    const reason = judged ? judged.reason : nothingToJudge(model, objectives);
    return {
      ...base,
      ...withErrors,
      verdict: judged?.verdict ?? 'unknown',
      ...(reason ? { reason } : {}),
      objectives,
      current,
      series,
      prometheus: promSource,
    };
  }

  /** The Model's own `spec.slo.maxDriftScore`, else the platform-wide one. */
  private driftThreshold(slo: ModelSlo | undefined): number | undefined {
    if (slo?.maxDriftScore !== undefined) return slo.maxDriftScore;
    const t = this.options.driftThreshold;
    if (t === null) return undefined;
    return t ?? 0.3;
  }

  private unreachableDetail(error: PrometheusQueryError): string {
    if (error.errorType === 'network') {
      return error.message.replace(/^Prometheus at \S+ is unreachable: /, '');
    }
    if (error.errorType === 'timeout') {
      return error.message.replace(/^Prometheus at \S+ /, '');
    }
    return error.message;
  }

  private async readAlerts(matchers: LabelMatcher[]): Promise<{
    alerts: ModelHealthAlert[];
    alertmanager: ModelHealthSource;
  }> {
    const { alertmanager } = this.options;
    if (!alertmanager) {
      return { alerts: [], alertmanager: { state: 'not-configured' } };
    }
    try {
      const raw = await alertmanager.getAlerts({ matchers });
      const alerts = raw
        .map(
          (a): ModelHealthAlert => ({
            name: a.labels.alertname ?? '(unnamed)',
            severity: a.labels.severity ?? 'none',
            summary: a.annotations?.summary ?? a.annotations?.description,
            startsAt: a.startsAt,
            fingerprint: a.fingerprint,
            generatorURL: a.generatorURL || undefined,
            labels: a.labels,
          }),
        )
        .sort(
          (x, y) =>
            x.startsAt.localeCompare(y.startsAt) ||
            x.fingerprint.localeCompare(y.fingerprint),
        );
      return { alerts, alertmanager: { state: 'ok' } };
    } catch (error) {
      this.options.logger.warn(
        `Reading alerts failed: ${(error as Error).message}`,
      );
      const status = (error as { status?: number }).status ?? 0;
      return {
        alerts: [],
        alertmanager: {
          state: status === 0 || status >= 500 ? 'unreachable' : 'error',
          message: (error as Error).message,
        },
      };
    }
  }
}
