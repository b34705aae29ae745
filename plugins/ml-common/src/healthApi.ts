/**
 * Overall health of a model against its `spec.slo`; see docs/health.md.
 *
 * - `healthy`: every measured objective is met and no warning or critical
 *   alert fires.
 * - `degraded`: an objective is missed by at most its tolerance (within 2x
 *   of the target) or a `warning` alert fires.
 * - `failing`: an objective is missed by more than that, or a `critical`
 *   (or `page`) alert fires.
 * - `unknown`: no verdict possible; `reason` says why and what to do.
 *
 * @public
 */
export type ModelHealthVerdict = 'healthy' | 'degraded' | 'failing' | 'unknown';

/**
 * Every {@link ModelHealthVerdict}, for schemas that list them.
 *
 * @public
 */
export const MODEL_HEALTH_VERDICTS = [
  'healthy',
  'degraded',
  'failing',
  'unknown',
] as const satisfies readonly ModelHealthVerdict[];

/**
 * The panels of the health card, one PromQL query each.
 *
 * @public
 */
export type ModelHealthPanel =
  | 'latencyP50'
  | 'latencyP95'
  | 'latencyP99'
  | 'errorRate'
  | 'throughput'
  | 'drift'
  | 'gpuUtilization'
  | 'gpuMemoryUsed'
  | 'availability'
  | 'ttftP95'
  | 'tpotP95'
  | 'promptTokens'
  | 'generationTokens'
  | 'requestsRunning'
  | 'requestsWaiting'
  | 'kvCacheUsage'
  | 'batchSize';

/**
 * The objectives a health answer judges: those of `spec.slo` (latency,
 * errors, availability, and for LLM servers time to first token, time per
 * output token and KV-cache use), plus drift.
 *
 * @public
 */
export const MODEL_HEALTH_OBJECTIVE_NAMES = [
  'latencyP95Ms',
  'errorRate',
  'availability',
  'driftScore',
  'ttftP95Ms',
  'tpotP95Ms',
  'kvCacheUsage',
] as const;

/**
 * One service level objective and how the model fares against it.
 *
 * @public
 */
export interface ModelHealthObjective {
  /**
   * `latencyP95Ms`, `errorRate`, `availability`, `ttftP95Ms`, `tpotP95Ms`
   * (from `spec.slo`), `kvCacheUsage` (from `spec.slo.maxKvCacheUsage`) or
   * `driftScore`.
   */
  name: (typeof MODEL_HEALTH_OBJECTIVE_NAMES)[number];
  /** The target, in the unit of its name (ms, fraction, score). */
  target: number;
  /** `max`: the actual value must stay at or below target; `min`: at or above. */
  bound: 'max' | 'min';
  /** The measured value in the same unit, null without data. */
  actual: number | null;
  /** `unknown` when there is no data; it then does not count for the verdict. */
  status: ModelHealthVerdict;
}

/**
 * Values over the requested window ending now (quantiles, rates and the
 * availability) or the latest sample (drift, GPU). Null when Prometheus has
 * no data for the panel or the profile does not define it.
 *
 * @public
 */
export interface ModelHealthCurrent {
  /** Latency quantiles in seconds. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Failed share of requests, 0..1. */
  errorRate: number | null;
  /** Requests (Triton: inferences) per second. */
  throughput: number | null;
  /** Drift score, 0 (none) to 1. */
  drift: number | null;
  /** Mean GPU utilisation of the model's pods, percent. */
  gpuUtilization: number | null;
  /** GPU frame buffer used by the model's pods, bytes. */
  gpuMemoryBytes: number | null;
  /** Share of successful scrapes of the model's targets (`up`), 0..1. */
  availability: number | null;
  /** LLM servers: time to first token, p95, seconds. */
  ttftP95: number | null;
  /** LLM servers: time per output token, p95, seconds. */
  tpotP95: number | null;
  /** LLM servers: prompt (prefill) tokens processed per second. */
  promptTokensPerSecond: number | null;
  /** LLM servers: tokens generated per second. */
  generationTokensPerSecond: number | null;
  /** Requests being processed now (latest sample). */
  requestsRunning: number | null;
  /** Requests queued, waiting to be processed (latest sample). */
  requestsWaiting: number | null;
  /** LLM servers: share of the KV cache in use, 0..1: the window's mean, of the busiest replica. */
  kvCacheUsage: number | null;
  /** Embedding servers: mean batch size over the window. */
  batchSize: number | null;
}

/**
 * One chart point: `t` in unix seconds, `v` the value (null for a gap or
 * a non-finite value such as NaN).
 *
 * @public
 */
export interface ModelHealthPoint {
  t: number;
  v: number | null;
}

/**
 * A firing alert from Alertmanager that concerns the model.
 *
 * @public
 */
export interface ModelHealthAlert {
  name: string;
  /** The alert's `severity` label, `none` when unset. */
  severity: string;
  /** The `summary` (else `description`) annotation. */
  summary?: string;
  /** ISO 8601. */
  startsAt: string;
  fingerprint: string;
  /** Link to the expression that fired, as Prometheus set it. */
  generatorURL?: string;
  labels: Record<string, string>;
}

/**
 * Where an upstream (Prometheus, Alertmanager) stands for one answer:
 *
 * - `ok`: it was asked and answered.
 * - `not-configured`: the backend has no URL for it (`ml.prometheus.url`,
 *   `ml.alertmanager.url`), so nothing can be asked.
 * - `not-queried`: it is configured but was not asked for this model,
 *   because the model says nothing to ask it about (no
 *   `mlplatform.io/metrics-selector` annotation). Nothing is known about
 *   the model from it: no alerts listed does not mean none fire.
 * - `unreachable`: it did not answer (network, timeout, 5xx).
 * - `error`: it answered with an error, e.g. refused a query.
 *
 * @public
 */
export type ModelHealthSourceState =
  | 'ok'
  | 'not-configured'
  | 'not-queried'
  | 'unreachable'
  | 'error';

/**
 * Every {@link ModelHealthSourceState}, for schemas that list them.
 *
 * @public
 */
export const MODEL_HEALTH_SOURCE_STATES = [
  'ok',
  'not-configured',
  'not-queried',
  'unreachable',
  'error',
] as const satisfies readonly ModelHealthSourceState[];

/**
 * Where an upstream stands for this answer.
 *
 * @public
 */
export interface ModelHealthSource {
  state: ModelHealthSourceState;
  /** What went wrong, which selector was used, or why it was not asked. */
  message?: string;
}

/**
 * Response of `GET /api/ml/models/:namespace/:name/health?window=1h`.
 *
 * @public
 */
export interface ModelHealthResponse {
  entityRef: string;
  verdict: ModelHealthVerdict;
  /** Why the verdict is `unknown`, or what drove `degraded` / `failing`. */
  reason?: string;
  /** The window the values cover, as requested, e.g. `1h`. */
  window: string;
  /** Metrics profile used, e.g. `openmetrics`. */
  profile?: string;
  /** Chart step in seconds. */
  stepSeconds?: number;
  objectives: ModelHealthObjective[];
  current: ModelHealthCurrent;
  /** Points per panel; panels the profile lacks are empty. */
  series: Record<ModelHealthPanel, ModelHealthPoint[]>;
  /** Panels whose query failed, with Prometheus' error. */
  panelErrors?: Partial<Record<ModelHealthPanel, string>>;
  alerts: ModelHealthAlert[];
  prometheus: ModelHealthSource;
  alertmanager: ModelHealthSource;
  /** ISO 8601 time the values were read. */
  checkedAt: string;
}
