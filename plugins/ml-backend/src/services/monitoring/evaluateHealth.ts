import {
  ANNOTATION_METRICS_SELECTOR,
  ModelHealthCurrent,
  ModelHealthObjective,
  ModelHealthPanel,
  ModelHealthPoint,
  ModelHealthResponse,
  ModelHealthSource,
  ModelSlo,
} from '@mlplatform/plugin-ml-common';
import type { ModelAlerts } from './modelAlerts';
import type { ModelConfig } from './modelConfig';
import { formatLabelMatchers, renderQuery } from './metricsProfiles';
import {
  PrometheusClient,
  PrometheusInstantResult,
  PrometheusQueryError,
  PrometheusRangeResult,
} from './PrometheusClient';
import { combineVerdict, evaluateObjectives } from './verdict';

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
  'ttftP95',
  'tpotP95',
  'promptTokens',
  'generationTokens',
  'requestsRunning',
  'requestsWaiting',
  'kvCacheUsage',
  'batchSize',
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
  ttftP95: 'ttftP95',
  tpotP95: 'tpotP95',
  promptTokens: 'promptTokensPerSecond',
  generationTokens: 'generationTokensPerSecond',
  requestsRunning: 'requestsRunning',
  requestsWaiting: 'requestsWaiting',
  kvCacheUsage: 'kvCacheUsage',
  batchSize: 'batchSize',
};

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
    ttftP95: null,
    tpotP95: null,
    promptTokensPerSecond: null,
    generationTokensPerSecond: null,
    requestsRunning: null,
    requestsWaiting: null,
    kvCacheUsage: null,
    batchSize: null,
  };
}

function emptySeries(): Record<ModelHealthPanel, ModelHealthPoint[]> {
  return Object.fromEntries(PANELS.map(p => [p, []])) as unknown as Record<
    ModelHealthPanel,
    ModelHealthPoint[]
  >;
}

/**
 * An `unknown` answer without values, for a model that could not be
 * measured; the sources say which upstream was asked and how it went.
 *
 * @internal
 */
export function unknownHealth(options: {
  entityRef: string;
  window: string;
  reason: string;
  prometheus: ModelHealthSource;
  alertmanager: ModelHealthSource;
}): ModelHealthResponse {
  return {
    entityRef: options.entityRef,
    verdict: 'unknown',
    reason: options.reason,
    window: options.window,
    objectives: [],
    current: emptyCurrent(),
    series: emptySeries(),
    alerts: [],
    prometheus: options.prometheus,
    alertmanager: options.alertmanager,
    checkedAt: new Date().toISOString(),
  };
}

function nothingToJudge(
  model: ModelConfig,
  objectives: ModelHealthObjective[],
): string {
  if (!model.slo) {
    return 'The Model has no spec.slo: add latencyP95Ms, errorRate or availability (LLM servers: also ttftP95Ms, tpotP95Ms, maxKvCacheUsage) to get a verdict';
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

function unreachableDetail(error: PrometheusQueryError): string {
  if (error.errorType === 'network') {
    return error.message.replace(/^Prometheus at \S+ is unreachable: /, '');
  }
  if (error.errorType === 'timeout') {
    return error.message.replace(/^Prometheus at \S+ /, '');
  }
  return error.message;
}

/**
 * Drift score above which a model is out of its objective: the Model's own
 * `spec.slo.maxDriftScore`, else the platform-wide one (default 0.3;
 * `null` disables the drift objective for Models without their own).
 */
function driftThreshold(
  slo: ModelSlo | undefined,
  platform: number | null | undefined,
): number | undefined {
  if (slo?.maxDriftScore !== undefined) return slo.maxDriftScore;
  if (platform === null) return undefined;
  return platform ?? 0.3;
}

/**
 * Queries every panel of the model's profile (instant value and chart
 * series), then judges them against its `spec.slo` and its alerts. Upstream
 * failures do not throw: they give verdict `unknown` with a reason.
 *
 * @internal
 */
export async function evaluateHealth(options: {
  model: ModelConfig;
  prometheus: PrometheusClient;
  /** Read in parallel with the queries. */
  alerts: Promise<ModelAlerts>;
  driftThreshold?: number | null;
}): Promise<ModelHealthResponse> {
  const { model, prometheus } = options;
  const checkedAt = new Date().toISOString();
  const selector = formatLabelMatchers(model.matchers);
  const step = stepFor(model.window.seconds);
  const end = Math.floor(Date.now() / 1000);
  const start = end - model.window.seconds;
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
          resolve(renderQuery(template, { matchers: model.matchers, window })),
        );
      const [instant, series] = await Promise.allSettled([
        render(model.window.text).then(q => prometheus.query(q)),
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
  const { alerts, alertmanager } = await options.alerts;
  const base = {
    entityRef: model.entityRef,
    window: model.window.text,
    profile: model.profile.name,
    stepSeconds: step,
    alerts,
    alertmanager,
    checkedAt,
  };

  if (unreachable) {
    const detail = unreachableDetail(unreachable as PrometheusQueryError);
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
  const objectives = evaluateObjectives(
    model.slo,
    current,
    driftThreshold(model.slo, options.driftThreshold),
  );
  if (!hasData) {
    const reason =
      Object.keys(panelErrors).length === panels.length
        ? `Prometheus rejected every query of the ${
            model.profile.name
          } profile: ${Object.values(panelErrors)[0]}`
        : `Prometheus has no series for {${selector}} in the last ${model.window.text}; check the ${ANNOTATION_METRICS_SELECTOR} annotation and that Prometheus scrapes the model server`;
    return {
      ...base,
      ...withErrors,
      verdict: 'unknown',
      reason,
      objectives,
      current,
      series,
      prometheus: promSource,
    };
  }

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
