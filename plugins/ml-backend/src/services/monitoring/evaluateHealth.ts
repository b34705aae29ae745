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

/** A panel's two queries as Prometheus answered them (or why not). */
interface PanelResult {
  panel: ModelHealthPanel;
  instant: PromiseSettledResult<PrometheusInstantResult>;
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
 * Judges a model from its panels' answers: the verdict against its
 * `spec.slo` and its alerts, the same whether the panels were queried for
 * this model alone or for many models at once.
 */
function judgeHealth(options: {
  model: ModelConfig;
  results: PanelResult[];
  span: SeriesSpan;
  alerts: ModelAlerts;
  prometheusHost: string;
  driftThreshold?: number | null;
  checkedAt: string;
}): ModelHealthResponse {
  const { model, results, alerts: read, checkedAt } = options;
  const { start, end, step } = options.span;
  const selector = formatLabelMatchers(model.matchers);
  const current = emptyCurrent();
  const series = emptySeries();
  const panelErrors: Partial<Record<ModelHealthPanel, string>> = {};
  let unreachable: unknown;
  let hasData = false;
  for (const { panel, instant, series: range } of results) {
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
  const { alerts, alertmanager } = read;
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
      reason: `Prometheus at ${options.prometheusHost} did not answer: ${detail}`,
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
  formatLabelMatchers(model.matchers);
  const span = seriesSpan(model, Math.floor(Date.now() / 1000));
  const results = await Promise.all(
    panelTemplates(model).map(async ([panel, template]) => {
      const render = (kind: 'instant' | 'series') =>
        new Promise<string>(resolve =>
          resolve(panelQuery(template, model, kind, span)),
        );
      const [instant, series] = await Promise.allSettled([
        render('instant').then(q => prometheus.query(q)),
        render('series').then(q =>
          prometheus.queryRange(q, span.start, span.end, span.step),
        ),
      ]);
      return { panel, instant, series };
    }),
  );
  return judgeHealth({
    model,
    results,
    span,
    alerts: await options.alerts,
    prometheusHost: prometheus.host,
    driftThreshold: options.driftThreshold,
    checkedAt,
  });
}

/** The label a batched query marks each model's part with. */
const BATCH_LABEL = 'ml_batch';
/**
 * Models one batched query covers at most, by kind. Instant queries (the
 * values the verdict is judged on) grow linearly: a histogram panel over
 * 400 models takes about 130 ms, so a fleet of 1,000 is one query per panel.
 * Range queries (the chart series) of an `or` of this kind take time
 * quadratic in its parts in Prometheus 2.42 (Debian's): the same panel over
 * 100 models took 0.26 s, over 200 1.7 s, over 400 3.5 s, and a fleet's 36
 * queries over 1,000 more than a minute; so those are asked per 50 models
 * (20 queries per panel for 1,000 models rather than 1,000).
 */
const BATCH_MAX_MODELS = { instant: 2000, series: 50 };
/**
 * Batched queries in flight at once: a fleet's refresh is a few hundred
 * of them, which asked together would take every core Prometheus has (and
 * the backend's, parsing the answers) for seconds. One at a time, a refresh
 * of 1,000 models takes about 20 s in the background and leaves the other
 * core to the requests (overview bench p99: 218 ms with 2 at load 7, 95-106
 * ms with 1 at load 3).
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
 * The answers of `queries` (all instant, or all range over one span), in one
 * Prometheus query: each model's own query, unchanged, marked with
 * `ml_batch="<i>"` by `label_replace` and joined with `or`, then split back
 * by that label. So a model's series are exactly those of its own query,
 * whatever the template and matchers (regex, negative), and the profile
 * templates need no change. Should Prometheus refuse the batch (bad
 * template, too many samples), each query is asked alone, so every model
 * gets the same answer or error as its own query; should it not answer,
 * every model hears so.
 */
async function queryBatch<
  R extends PrometheusInstantResult | PrometheusRangeResult,
>(
  queries: string[],
  ask: (promql: string, batched: boolean) => Promise<R>,
): Promise<Array<PromiseSettledResult<R>>> {
  if (queries.length === 1) {
    const [one] = await Promise.allSettled([ask(queries[0], false)]);
    return [one];
  }
  let answer: R;
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
    value: { resultType: answer.resultType, result } as R,
  }));
}

/**
 * {@link evaluateHealth} for many models at once, with the same answer per
 * model: each panel's instant query and series query is sent once for all
 * models sharing its template and window (see `queryBatch`; the series in
 * chunks, see {@link BATCH_MAX_MODELS}), instead of once per model, then
 * every model is judged by the same rule as alone. The result has one
 * promise per model, in order.
 *
 * @internal
 */
export function evaluateHealthMany(options: {
  models: ModelConfig[];
  prometheus: PrometheusClient;
  /** One per model, read in parallel with the queries. */
  alerts: Array<Promise<ModelAlerts>>;
  driftThreshold?: number | null;
}): Array<Promise<ModelHealthResponse>> {
  const { models, prometheus } = options;
  const checkedAt = new Date().toISOString();
  const end = Math.floor(Date.now() / 1000);
  const spans = models.map(m => seriesSpan(m, end));
  const results: PanelResult[][] = models.map(m =>
    panelTemplates(m).map(([panel]) => ({ panel } as PanelResult)),
  );
  // Queries by what they share: kind, template, and window or span.
  interface Batch {
    kind: 'instant' | 'series';
    span: SeriesSpan;
    members: Array<{ result: PanelResult; query: string }>;
  }
  const groups = new Map<string, Batch>();
  const batches: Batch[] = [];
  models.forEach((model, i) => {
    const span = spans[i];
    panelTemplates(model).forEach(([, template], j) => {
      for (const kind of ['instant', 'series'] as const) {
        let query: string;
        try {
          query = panelQuery(template, model, kind, span);
        } catch (reason) {
          results[i][j][kind] = { status: 'rejected', reason };
          continue;
        }
        const key = JSON.stringify([
          kind,
          template,
          kind === 'instant' ? model.window.text : span,
        ]);
        let group = groups.get(key);
        if (!group || group.members.length >= BATCH_MAX_MODELS[kind]) {
          group = { kind, span, members: [] };
          groups.set(key, group);
          batches.push(group);
        }
        group.members.push({ result: results[i][j], query });
      }
    });
  });
  const done = mapLimit(
    batches,
    BATCH_CONCURRENCY,
    async ({ kind, span, members }) => {
      const queries = members.map(m => m.query);
      const settled =
        kind === 'instant'
          ? await queryBatch(queries, (q, batched) =>
              prometheus.query(q, undefined, { cache: !batched }),
            )
          : await queryBatch(queries, (q, batched) =>
              prometheus.queryRange(q, span.start, span.end, span.step, {
                cache: !batched,
              }),
            );
      members.forEach((m, k) => {
        (m.result as any)[kind] = settled[k];
      });
    },
  );
  return models.map(async (model, i) => {
    const [alerts] = await Promise.all([options.alerts[i], done]);
    return judgeHealth({
      model,
      results: results[i],
      span: spans[i],
      alerts,
      prometheusHost: prometheus.host,
      driftThreshold: options.driftThreshold,
      checkedAt,
    });
  });
}
