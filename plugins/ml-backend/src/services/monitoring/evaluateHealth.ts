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
import { mapLimit } from '@mlplatform/plugin-ml-oci';
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

/** A panel's instant query as Prometheus answered it (or why not). */
interface InstantResult {
  panel: ModelHealthPanel;
  instant: PromiseSettledResult<PrometheusInstantResult>;
}

/** A panel's chart series query as Prometheus answered it (or why not). */
interface SeriesResult {
  panel: ModelHealthPanel;
  series: PromiseSettledResult<PrometheusRangeResult>;
}

/** The span of a model's chart series, ending at `end` (unix seconds). */
interface SeriesSpan {
  start: number;
  end: number;
  step: number;
}

function seriesSpan(model: ModelConfig, end: number): SeriesSpan {
  return {
    start: end - model.window.seconds,
    end,
    step: stepFor(model.window.seconds),
  };
}

/** The panels of a model's profile, with their query templates. */
function panelTemplates(model: ModelConfig): Array<[ModelHealthPanel, string]> {
  const templates: Partial<Record<ModelHealthPanel, string>> = {
    ...model.profile.queries,
    availability: AVAILABILITY_QUERY,
  };
  return PANELS.filter(p => templates[p]).map(p => [p, templates[p]!]);
}

/**
 * The two queries of a panel for a model: the instant value over the health
 * window and the chart series' rate window. Rendered lazily, so a broken
 * template of a module's profile costs its panel, not the answer.
 */
function panelQuery(
  template: string,
  model: ModelConfig,
  kind: 'instant' | 'series',
  span: SeriesSpan,
): string {
  const window =
    kind === 'instant' ? model.window.text : seriesRateWindow(span.step);
  return renderQuery(template, { matchers: model.matchers, window });
}

/**
 * A Model's health without its chart series: the verdict and everything it
 * is judged on (objectives, current values, alerts, upstream states).
 *
 * @internal
 */
export type ModelVerdict = Omit<ModelHealthResponse, 'series' | 'stepSeconds'>;

/**
 * A model judged on its panels' instant values, with what it takes to chart
 * it later (only a Model page shows the series).
 *
 * @internal
 */
export interface HealthEvaluation {
  model: ModelConfig;
  verdict: ModelVerdict;
  /** The charts' span, ending when the values were read. */
  span: SeriesSpan;
}

/**
 * Judges a model from its panels' instant values: the verdict against its
 * `spec.slo` and its alerts, the same whether the panels were queried for
 * this model alone or for many models at once, and whether or not its
 * chart series are asked (they are drawn, not judged: see `chartHealth`).
 */
function judgeHealth(options: {
  model: ModelConfig;
  results: InstantResult[];
  alerts: ModelAlerts;
  prometheusHost: string;
  driftThreshold?: number | null;
  checkedAt: string;
}): ModelVerdict {
  const { model, results, alerts: read, checkedAt } = options;
  const selector = formatLabelMatchers(model.matchers);
  const current = emptyCurrent();
  const panelErrors: Partial<Record<ModelHealthPanel, string>> = {};
  let unreachable: unknown;
  let hasData = false;
  for (const { panel, instant } of results) {
    if (instant.status === 'rejected') {
      if (isUnreachable(instant.reason)) unreachable ??= instant.reason;
      panelErrors[panel] ??= (instant.reason as Error).message;
    } else {
      current[CURRENT_FIELD[panel]] = instantValue(instant.value);
      if (current[CURRENT_FIELD[panel]] !== null) hasData = true;
    }
  }
  const { alerts, alertmanager } = read;
  const base = {
    entityRef: model.entityRef,
    window: model.window.text,
    profile: model.profile.name,
    alerts,
    alertmanager,
    checkedAt,
  };

  if (unreachable) {
    const detail = unreachableDetail(unreachable as PrometheusQueryError);
    return {
      ...base,
      verdict: 'unknown',
      reason: `Prometheus at ${options.prometheusHost} did not answer: ${detail}`,
      objectives: [],
      current: emptyCurrent(),
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
      Object.keys(panelErrors).length === results.length
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
    prometheus: promSource,
  };
}

/**
 * A verdict with its chart series: the points per panel, and a panel whose
 * series query failed (Prometheus down included) listed in `panelErrors`,
 * Prometheus then `error`. The verdict itself is not changed; unreachable
 * when judged, it has no charts.
 */
function chart(
  evaluation: HealthEvaluation,
  results: SeriesResult[],
): ModelHealthResponse {
  const { verdict, span } = evaluation;
  const series = emptySeries();
  const answer = { ...verdict, stepSeconds: span.step, series };
  if (verdict.prometheus.state === 'unreachable') return answer;
  const panelErrors = { ...verdict.panelErrors };
  for (const { panel, series: range } of results) {
    if (range.status === 'rejected') {
      panelErrors[panel] ??= (range.reason as Error).message;
    } else {
      series[panel] = seriesPoints(
        range.value,
        span.start,
        span.end,
        span.step,
      );
    }
  }
  if (!Object.keys(panelErrors).length) return answer;
  return {
    ...answer,
    panelErrors,
    prometheus: { ...verdict.prometheus, state: 'error' },
  };
}

/** The chart series of every panel of a model, one range query each. */
function querySeries(
  model: ModelConfig,
  span: SeriesSpan,
  prometheus: PrometheusClient,
): Promise<SeriesResult[]> {
  return Promise.all(
    panelTemplates(model).map(async ([panel, template]) => {
      const [series] = await Promise.allSettled([
        new Promise<string>(resolve =>
          resolve(panelQuery(template, model, 'series', span)),
        ).then(q => prometheus.queryRange(q, span.start, span.end, span.step)),
      ]);
      return { panel, series };
    }),
  );
}

/**
 * The Model page's answer for a model already judged: its chart series over
 * the span of the evaluation, one range query per panel.
 *
 * @internal
 */
export async function chartHealth(
  evaluation: HealthEvaluation,
  prometheus: PrometheusClient,
): Promise<ModelHealthResponse> {
  const { model, span } = evaluation;
  return chart(evaluation, await querySeries(model, span, prometheus));
}

/**
 * Queries the instant value of every panel of the model's profile and
 * judges them against its `spec.slo` and its alerts; with `charts`, asks
 * the chart series at the same time (a Model page). Upstream failures do
 * not throw: they give verdict `unknown` with a reason.
 *
 * @internal
 */
export async function evaluateHealth(options: {
  model: ModelConfig;
  prometheus: PrometheusClient;
  /** Read in parallel with the queries. */
  alerts: Promise<ModelAlerts>;
  driftThreshold?: number | null;
  charts?: boolean;
}): Promise<{ evaluation: HealthEvaluation; charted?: ModelHealthResponse }> {
  const { model, prometheus } = options;
  const checkedAt = new Date().toISOString();
  formatLabelMatchers(model.matchers);
  const span = seriesSpan(model, Math.floor(Date.now() / 1000));
  const series = options.charts
    ? querySeries(model, span, prometheus)
    : undefined;
  const results = await Promise.all(
    panelTemplates(model).map(async ([panel, template]) => {
      const [instant] = await Promise.allSettled([
        new Promise<string>(resolve =>
          resolve(panelQuery(template, model, 'instant', span)),
        ).then(q => prometheus.query(q)),
      ]);
      return { panel, instant };
    }),
  );
  const evaluation = {
    model,
    span,
    verdict: judgeHealth({
      model,
      results,
      alerts: await options.alerts,
      prometheusHost: prometheus.host,
      driftThreshold: options.driftThreshold,
      checkedAt,
    }),
  };
  if (!series) return { evaluation };
  return { evaluation, charted: chart(evaluation, await series) };
}

/** The label a batched query marks each model's part with. */
const BATCH_LABEL = 'ml_batch';
/**
 * Models one batched instant query covers at most. Its time grows linearly:
 * a histogram panel over 400 models takes about 130 ms, so a fleet of 1,000
 * is one query per panel. (Range queries are not batched: an `or` of this
 * kind over a range takes time quadratic in its parts in Prometheus 2.42,
 * and only a Model page asks them, for its own model.)
 */
const BATCH_MAX_MODELS = 2000;
/**
 * Batched queries in flight at once: asked together, a fleet's would take
 * every core Prometheus has (and the backend's, parsing the answers). One
 * at a time leaves the other core to the requests (overview bench p99: 218
 * ms with 2 at load 7, 95-106 ms with 1 at load 3).
 */
const BATCH_CONCURRENCY = 1;

/**
 * PromQL `a or b or ...` as a balanced tree, so a thousand parts nest ten
 * deep rather than a thousand.
 */
function unionOf(parts: string[]): string {
  if (parts.length === 1) return parts[0];
  const mid = parts.length >> 1;
  return `(${unionOf(parts.slice(0, mid))}) or (${unionOf(parts.slice(mid))})`;
}

/**
 * The answers of instant `queries` in one Prometheus query: each model's own
 * query, unchanged, marked with `ml_batch="<i>"` by `label_replace` and
 * joined with `or`, then split back by that label. So a model's series are
 * exactly those of its own query, whatever the template and matchers
 * (regex, negative), and the profile templates need no change. Should
 * Prometheus refuse the batch (bad template, too many samples), each query
 * is asked alone, so every model gets the same answer or error as its own
 * query; should it not answer, every model hears so.
 */
async function queryBatch(
  queries: string[],
  prometheus: PrometheusClient,
): Promise<Array<PromiseSettledResult<PrometheusInstantResult>>> {
  const ask = (q: string, batched: boolean) =>
    prometheus.query(q, undefined, { cache: !batched });
  if (queries.length === 1) {
    const [one] = await Promise.allSettled([ask(queries[0], false)]);
    return [one];
  }
  let answer: PrometheusInstantResult;
  try {
    answer = await ask(
      unionOf(
        queries.map(
          (q, i) => `label_replace(${q}, "${BATCH_LABEL}", "${i}", "", "")`,
        ),
      ),
      true,
    );
  } catch (error) {
    if (isUnreachable(error)) {
      return queries.map(() => ({ status: 'rejected', reason: error }));
    }
    return Promise.allSettled(queries.map(q => ask(q, false)));
  }
  const parts = queries.map(() => [] as any[]);
  for (const s of answer.result as Array<{ metric: Record<string, string> }>) {
    const { [BATCH_LABEL]: index, ...metric } = s.metric;
    parts[Number(index)]?.push({ ...s, metric });
  }
  return parts.map(result => ({
    status: 'fulfilled',
    value: { resultType: answer.resultType, result } as PrometheusInstantResult,
  }));
}

/**
 * {@link evaluateHealth} (without charts) for many models at once, with the
 * same verdict per model: each panel's instant query is sent once for all
 * models sharing its template and window (see `queryBatch`) instead of once
 * per model, then every model is judged by the same rule as alone. No chart
 * series are asked. The result has one promise per model, in order.
 *
 * @internal
 */
export function evaluateHealthMany(options: {
  models: ModelConfig[];
  prometheus: PrometheusClient;
  /** One per model, read in parallel with the queries. */
  alerts: Array<Promise<ModelAlerts>>;
  driftThreshold?: number | null;
}): Array<Promise<HealthEvaluation>> {
  const { models, prometheus } = options;
  const checkedAt = new Date().toISOString();
  const end = Math.floor(Date.now() / 1000);
  const spans = models.map(m => seriesSpan(m, end));
  const results: InstantResult[][] = models.map(m =>
    panelTemplates(m).map(([panel]) => ({ panel } as InstantResult)),
  );
  // Queries by what they share: template and window.
  type Batch = Array<{ result: InstantResult; query: string }>;
  const groups = new Map<string, Batch>();
  const batches: Batch[] = [];
  models.forEach((model, i) => {
    panelTemplates(model).forEach(([, template], j) => {
      let query: string;
      try {
        query = panelQuery(template, model, 'instant', spans[i]);
      } catch (reason) {
        results[i][j].instant = { status: 'rejected', reason };
        return;
      }
      const key = JSON.stringify([template, model.window.text]);
      let group = groups.get(key);
      if (!group || group.length >= BATCH_MAX_MODELS) {
        group = [];
        groups.set(key, group);
        batches.push(group);
      }
      group.push({ result: results[i][j], query });
    });
  });
  const done = mapLimit(batches, BATCH_CONCURRENCY, async members => {
    const settled = await queryBatch(
      members.map(m => m.query),
      prometheus,
    );
    members.forEach((m, k) => {
      m.result.instant = settled[k];
    });
  });
  return models.map(async (model, i) => {
    const [alerts] = await Promise.all([options.alerts[i], done]);
    return {
      model,
      span: spans[i],
      verdict: judgeHealth({
        model,
        results: results[i],
        alerts,
        prometheusHost: prometheus.host,
        driftThreshold: options.driftThreshold,
        checkedAt,
      }),
    };
  });
}
