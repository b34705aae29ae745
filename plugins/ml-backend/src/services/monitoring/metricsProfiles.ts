import type { MetricsProfile } from '@mlplatform/plugin-ml-node';
import {
  checkLabelMatcher,
  durationSeconds,
  LabelMatcher,
  parseLabelMatchers,
} from '@mlplatform/plugin-ml-common';

/*
 * Template convention: `{{selector}}` expands to the model's matchers joined
 * by ", " WITHOUT braces, so a template writes `metric{{{selector}}}` or adds
 * its own matchers: `metric{{{selector}}, code=~"5.."}`. `{{window}}` expands
 * to a validated duration such as `5m`.
 *
 * GPU panels join DCGM exporter series to the model's pods with
 * `and on (namespace, pod)` against one of the model's own series. This needs
 * the model's series to carry `namespace` and `pod` labels (the usual
 * Kubernetes service discovery relabelling adds them) and dcgm-exporter to
 * run with its Kubernetes pod mapping, which labels GPUs with the pod using
 * them.
 */

function gpuPanels(
  modelSeries: string,
): Pick<MetricsProfile['queries'], 'gpuUtilization' | 'gpuMemoryUsed'> {
  return {
    gpuUtilization: `avg(DCGM_FI_DEV_GPU_UTIL and on (namespace, pod) ${modelSeries})`,
    // dcgm-exporter reports frame buffer use in MiB; the API speaks bytes.
    gpuMemoryUsed: `sum(DCGM_FI_DEV_FB_USED and on (namespace, pod) ${modelSeries}) * 1048576`,
  };
}

function histogramQuantile(q: number, bucket: string, scale = '') {
  return `histogram_quantile(${q}, sum by (le) (rate(${bucket}{{{selector}}}[{{window}}])))${scale}`;
}

/**
 * The default profile, for model servers that expose our OpenMetrics
 * convention:
 *
 * - `model_request_duration_seconds` histogram (`_bucket` with `le`,
 *   `_sum`, `_count`): request latency in seconds.
 * - `model_requests_total` counter with a `code` label holding the HTTP
 *   status (`200`, `500`...); 5xx count as errors.
 * - `model_drift_score` gauge, 0 (no drift) to 1, from the drift detector.
 *
 * All series carry the labels the entity's `mlplatform.io/metrics-selector`
 * matches on (e.g. `model`, `namespace`), plus `namespace` and `pod` for the
 * GPU join.
 *
 * @internal
 */
export const openMetricsProfile: MetricsProfile = {
  name: 'openmetrics',
  description:
    'Model servers exposing model_request_duration_seconds, model_requests_total{code} and model_drift_score',
  queries: {
    latencyP50: histogramQuantile(0.5, 'model_request_duration_seconds_bucket'),
    latencyP95: histogramQuantile(
      0.95,
      'model_request_duration_seconds_bucket',
    ),
    latencyP99: histogramQuantile(
      0.99,
      'model_request_duration_seconds_bucket',
    ),
    // `or vector(0)`: no 5xx series at all means no errors, not "no data".
    errorRate:
      '(sum(rate(model_requests_total{{{selector}}, code=~"5.."}[{{window}}])) or vector(0))' +
      ' / sum(rate(model_requests_total{{{selector}}}[{{window}}]))',
    throughput: 'sum(rate(model_requests_total{{{selector}}}[{{window}}]))',
    drift: 'max(model_drift_score{{{selector}}})',
    ...gpuPanels('model_requests_total{{{selector}}}'),
  },
};

/**
 * KServe. Based on the KServe Python model server's Prometheus histograms
 * (`request_predict_seconds`, also `request_preprocess_seconds` etc.) and,
 * for errors and request rate, the Knative queue-proxy's
 * `revision_request_count` with `response_code_class` (serverless mode).
 * KServe has no drift metric of its own, so drift uses the OpenMetrics
 * convention's `model_drift_score` as exported by a drift detector.
 *
 * @internal
 */
export const kserveProfile: MetricsProfile = {
  name: 'kserve',
  description:
    'KServe InferenceServices (request_predict_seconds, Knative revision_request_count)',
  queries: {
    latencyP50: histogramQuantile(0.5, 'request_predict_seconds_bucket'),
    latencyP95: histogramQuantile(0.95, 'request_predict_seconds_bucket'),
    latencyP99: histogramQuantile(0.99, 'request_predict_seconds_bucket'),
    errorRate:
      '(sum(rate(revision_request_count{{{selector}}, response_code_class="5xx"}[{{window}}])) or vector(0))' +
      ' / sum(rate(revision_request_count{{{selector}}}[{{window}}]))',
    throughput:
      'sum(rate(request_predict_seconds_count{{{selector}}}[{{window}}]))',
    drift: 'max(model_drift_score{{{selector}}})',
    ...gpuPanels('request_predict_seconds_count{{{selector}}}'),
  },
};

/**
 * NVIDIA Triton Inference Server, from its documented metrics (labels
 * `model`, `version`): counters `nv_inference_request_success`,
 * `nv_inference_request_failure`, `nv_inference_count` and the cumulative
 * `nv_inference_request_duration_us`. Triton's request latency is a counter
 * of microseconds, not a histogram, so quantiles come from its latency
 * summary `nv_inference_request_summary_us` (enabled with
 * `--metrics-config summary_latencies=true`, quantiles 0.5/0.9/0.95/0.99);
 * those quantiles cover Triton's own sliding window, not `{{window}}`.
 *
 * @internal
 */
export const tritonProfile: MetricsProfile = {
  name: 'triton',
  description:
    'NVIDIA Triton (nv_inference_* counters, latency summaries in microseconds)',
  queries: {
    latencyP50:
      'max(nv_inference_request_summary_us{{{selector}}, quantile="0.5"}) / 1e6',
    latencyP95:
      'max(nv_inference_request_summary_us{{{selector}}, quantile="0.95"}) / 1e6',
    latencyP99:
      'max(nv_inference_request_summary_us{{{selector}}, quantile="0.99"}) / 1e6',
    errorRate:
      'sum(rate(nv_inference_request_failure{{{selector}}}[{{window}}]))' +
      ' / (sum(rate(nv_inference_request_success{{{selector}}}[{{window}}]))' +
      ' + sum(rate(nv_inference_request_failure{{{selector}}}[{{window}}])))',
    // Inferences per second: batched requests count once per item.
    throughput: 'sum(rate(nv_inference_count{{{selector}}}[{{window}}]))',
    drift: 'max(model_drift_score{{{selector}}})',
    ...gpuPanels('nv_inference_count{{{selector}}}'),
  },
};

/**
 * vLLM's OpenAI-compatible server, from its documented `/metrics` (label
 * `model_name`, the served model name; Kubernetes scraping adds `namespace`
 * and `pod`):
 *
 * - histograms `vllm:e2e_request_latency_seconds` (the latency panels),
 *   `vllm:time_to_first_token_seconds` and
 *   `vllm:request_time_per_output_token_seconds`; vLLM before 0.11 has the
 *   latter as `vllm:time_per_output_token_seconds`, used when the new one
 *   is absent (`or` after `rate()`, which drops the names, so a server that
 *   exposes both counts once);
 * - counters `vllm:request_success_total{finished_reason}`, where
 *   `finished_reason="error"` is a request answered with a 500, and
 *   `vllm:prompt_tokens_total` / `vllm:generation_tokens_total`;
 * - gauges `vllm:num_requests_running`, `vllm:num_requests_waiting` and
 *   `vllm:kv_cache_usage_perc` (0..1; `vllm:gpu_cache_usage_perc` before
 *   vLLM 0.10).
 *
 * KV-cache use is the mean over the window of the busiest replica, so a
 * moment at 100 % (normal under load) does not decide the verdict alone.
 *
 * @internal
 */
export const vllmProfile: MetricsProfile = {
  name: 'vllm',
  description:
    'vLLM (vllm:e2e_request_latency_seconds, time to first token, time per output token, tokens, KV cache)',
  queries: {
    latencyP50: histogramQuantile(
      0.5,
      'vllm:e2e_request_latency_seconds_bucket',
    ),
    latencyP95: histogramQuantile(
      0.95,
      'vllm:e2e_request_latency_seconds_bucket',
    ),
    latencyP99: histogramQuantile(
      0.99,
      'vllm:e2e_request_latency_seconds_bucket',
    ),
    errorRate:
      '(sum(rate(vllm:request_success_total{{{selector}}, finished_reason="error"}[{{window}}])) or vector(0))' +
      ' / sum(rate(vllm:request_success_total{{{selector}}}[{{window}}]))',
    throughput:
      'sum(rate(vllm:request_success_total{{{selector}}}[{{window}}]))',
    ttftP95: histogramQuantile(0.95, 'vllm:time_to_first_token_seconds_bucket'),
    tpotP95:
      'histogram_quantile(0.95, sum by (le) (' +
      'rate(vllm:request_time_per_output_token_seconds_bucket{{{selector}}}[{{window}}])' +
      ' or rate(vllm:time_per_output_token_seconds_bucket{{{selector}}}[{{window}}])))',
    promptTokens:
      'sum(rate(vllm:prompt_tokens_total{{{selector}}}[{{window}}]))',
    generationTokens:
      'sum(rate(vllm:generation_tokens_total{{{selector}}}[{{window}}]))',
    requestsRunning: 'sum(vllm:num_requests_running{{{selector}}})',
    requestsWaiting: 'sum(vllm:num_requests_waiting{{{selector}}})',
    kvCacheUsage:
      'max(avg_over_time(vllm:kv_cache_usage_perc{{{selector}}}[{{window}}])' +
      ' or avg_over_time(vllm:gpu_cache_usage_perc{{{selector}}}[{{window}}]))',
    ...gpuPanels('vllm:num_requests_running{{{selector}}}'),
  },
};

/**
 * Hugging Face Text Embeddings Inference (TEI), from its Prometheus
 * exporter (port 9000 by default). TEI's series carry no model label, so
 * the selector matches what scraping adds (`namespace`, `pod`, `service`...):
 *
 * - histogram `te_request_duration` (seconds, the latency panels) and
 *   `te_batch_next_size` (requests per batch; the mean is the batch panel);
 * - counters `te_request_count{method}` (throughput) and
 *   `te_request_failure{err}` (errors);
 * - gauge `te_queue_size` (requests waiting).
 *
 * @internal
 */
export const teiProfile: MetricsProfile = {
  name: 'tei',
  description:
    'Hugging Face Text Embeddings Inference (te_request_duration, te_batch_next_size, te_request_count)',
  queries: {
    latencyP50: histogramQuantile(0.5, 'te_request_duration_bucket'),
    latencyP95: histogramQuantile(0.95, 'te_request_duration_bucket'),
    latencyP99: histogramQuantile(0.99, 'te_request_duration_bucket'),
    errorRate:
      '(sum(rate(te_request_failure{{{selector}}}[{{window}}])) or vector(0))' +
      ' / sum(rate(te_request_count{{{selector}}}[{{window}}]))',
    throughput: 'sum(rate(te_request_count{{{selector}}}[{{window}}]))',
    batchSize:
      'sum(rate(te_batch_next_size_sum{{{selector}}}[{{window}}]))' +
      ' / sum(rate(te_batch_next_size_count{{{selector}}}[{{window}}]))',
    requestsWaiting: 'sum(te_queue_size{{{selector}}})',
    ...gpuPanels('te_request_count{{{selector}}}'),
  },
};

/**
 * The built-in profiles by name; `openmetrics` is the default.
 *
 * @internal
 */
export const builtInMetricsProfiles: Readonly<Record<string, MetricsProfile>> =
  {
    openmetrics: openMetricsProfile,
    kserve: kserveProfile,
    triton: tritonProfile,
    vllm: vllmProfile,
    tei: teiProfile,
  };

/** @internal */
export const DEFAULT_METRICS_PROFILE = 'openmetrics';

/** Longest accepted `{{window}}`: longer ranges are costly for Prometheus. */
const MAX_WINDOW_SECONDS = 30 * 24 * 3600;
// A lone UTF-16 surrogate would become a `\udXXX` escape that PromQL (Go)
// rejects; refuse it here with a clear message instead.
const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Parses a PromQL range duration of one unit (`30s`, `5m`, `1h`, `7d`, `2w`:
 * ml-common's `DURATION_PATTERN`),
 * greater than zero and at most 30 days.
 *
 * @returns the duration in seconds.
 * @throws TypeError for anything else.
 * @internal
 */
export function parseWindow(window: string): number {
  const seconds = durationSeconds(window) ?? NaN;
  if (!(seconds > 0) || seconds > MAX_WINDOW_SECONDS) {
    throw new TypeError(
      `window must be a duration like 5m, 1h or 7d, between 1s and 30d; got ${JSON.stringify(
        window,
      )}`,
    );
  }
  return seconds;
}

/**
 * Serialises matchers as PromQL: `name op "value"` joined by ", ". Values
 * are written as JSON strings, whose escapes (`\"`, `\\`, `\n`, `\uXXXX`)
 * PromQL reads the same way, so no value can end the string early.
 *
 * @internal
 */
export function formatLabelMatchers(matchers: LabelMatcher[]): string {
  if (matchers.length === 0) {
    throw new TypeError('expected at least one label matcher');
  }
  return matchers
    .map(m => {
      // Re-checked because matchers may come from code, not only the parser.
      checkLabelMatcher(m);
      if (typeof m.value !== 'string' || LONE_SURROGATE.test(m.value)) {
        throw new TypeError(`invalid value for label ${m.name}`);
      }
      return `${m.name}${m.op}${JSON.stringify(m.value)}`;
    })
    .join(', ');
}

/**
 * Inputs of {@link renderQuery}.
 *
 * @internal
 */
export interface RenderQueryOptions {
  /**
   * The model's matchers, or the raw `mlplatform.io/metrics-selector` text,
   * which is parsed (and refused if it is not a matcher list) before use.
   */
  matchers: LabelMatcher[] | string;
  /** Range window, e.g. `5m`; see {@link parseWindow}. */
  window: string;
}

/**
 * Fills a profile template. The selector is rebuilt from parsed matchers, so
 * annotation text never reaches PromQL verbatim: `model="x"}) or vector(1)`
 * fails to parse instead of widening the query.
 *
 * @throws TypeError on a bad selector, window or unknown placeholder.
 * @internal
 */
export function renderQuery(
  template: string,
  options: RenderQueryOptions,
): string {
  const matchers =
    typeof options.matchers === 'string'
      ? parseLabelMatchers(options.matchers)
      : options.matchers;
  const selector = formatLabelMatchers(matchers);
  parseWindow(options.window);
  // One pass over the template, so text substituted in is never scanned for
  // placeholders again.
  return template.replace(/\{\{(\w+)\}\}/g, (_whole, name: string) => {
    if (name === 'selector') return selector;
    if (name === 'window') return options.window;
    throw new TypeError(`unknown placeholder {{${name}}} in metrics profile`);
  });
}
