import {
  ModelEntityV1alpha1,
  ModelHealthPanel,
  ModelHealthPoint,
  ModelHealthResponse,
} from '@mlplatform/plugin-ml-common';

export const fraudModel: ModelEntityV1alpha1 = {
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Model',
  metadata: { name: 'fraud-detector', namespace: 'default' },
  spec: {
    type: 'classifier',
    lifecycle: 'production',
    owner: 'fraud-team',
    registry: 'oci://localhost:5000/models/fraud-detector',
    slo: { latencyP95Ms: 50, errorRate: 0.005, availability: 0.999 },
  },
};

function points(values: Array<number | null>): ModelHealthPoint[] {
  return values.map((v, i) => ({ t: 1_795_000_000 + i * 60, v }));
}

const empty = (): Record<ModelHealthPanel, ModelHealthPoint[]> => ({
  latencyP50: [],
  latencyP95: [],
  latencyP99: [],
  errorRate: [],
  throughput: [],
  drift: [],
  gpuUtilization: [],
  gpuMemoryUsed: [],
  availability: [],
  ttftP95: [],
  tpotP95: [],
  promptTokens: [],
  generationTokens: [],
  requestsRunning: [],
  requestsWaiting: [],
  kvCacheUsage: [],
  batchSize: [],
});

const noServingValues = {
  ttftP95: null,
  tpotP95: null,
  promptTokensPerSecond: null,
  generationTokensPerSecond: null,
  requestsRunning: null,
  requestsWaiting: null,
  kvCacheUsage: null,
  batchSize: null,
};

/** fraud-detector as the demo data has it: failing on drift, alert firing. */
export const failingHealth: ModelHealthResponse = {
  entityRef: 'model:default/fraud-detector',
  verdict: 'failing',
  reason: 'driftScore 0.72 > 0.6; alert ModelDriftHigh (critical) firing',
  window: '1h',
  profile: 'openmetrics',
  stepSeconds: 60,
  objectives: [
    {
      name: 'latencyP95Ms',
      target: 50,
      bound: 'max',
      actual: 42.123,
      status: 'healthy',
    },
    {
      name: 'errorRate',
      target: 0.005,
      bound: 'max',
      actual: 0.0021,
      status: 'healthy',
    },
    {
      name: 'availability',
      target: 0.999,
      bound: 'min',
      actual: null,
      status: 'unknown',
    },
    {
      name: 'driftScore',
      target: 0.3,
      bound: 'max',
      actual: 0.72,
      status: 'failing',
    },
  ],
  current: {
    p50: 0.012,
    p95: 0.042123,
    p99: 0.08,
    errorRate: 0.0021,
    throughput: 12.345,
    drift: 0.72,
    gpuUtilization: 63.2,
    gpuMemoryBytes: 4 * 1024 ** 3,
    availability: null,
    ...noServingValues,
  },
  series: {
    ...empty(),
    latencyP50: points([0.01, 0.012, null, 0.011]),
    latencyP95: points([0.04, 0.042, null, 0.043]),
    latencyP99: points([0.07, 0.08, null, 0.075]),
    errorRate: points([0.002, 0.0021, 0.002, 0.0022]),
    throughput: points([12, 12.3, 12.1, 12.4]),
    drift: points([0.5, 0.6, 0.7, 0.72]),
  },
  panelErrors: { gpuUtilization: 'bad_data: parse error at char 12' },
  alerts: [
    {
      name: 'ModelLatencyWarn',
      severity: 'warning',
      summary: 'p99 above 75 ms',
      startsAt: new Date(Date.now() - 3 * 3_600_000).toISOString(),
      fingerprint: 'b',
      labels: { model: 'fraud-detector' },
    },
    {
      name: 'ModelDriftHigh',
      severity: 'critical',
      summary: 'Drift of fraud-detector is 0.72',
      startsAt: new Date(Date.now() - 12 * 60_000).toISOString(),
      fingerprint: 'a',
      generatorURL: 'http://prometheus.test/graph?g0.expr=model_drift_score',
      labels: { model: 'fraud-detector' },
    },
  ],
  prometheus: { state: 'ok' },
  alertmanager: { state: 'ok' },
  checkedAt: new Date().toISOString(),
};

/** A Model without the metrics-selector annotation. */
export const unknownHealth: ModelHealthResponse = {
  ...failingHealth,
  verdict: 'unknown',
  reason:
    'Not configured: add the mlplatform.io/metrics-selector annotation to model:default/fraud-detector',
  objectives: [],
  current: {
    p50: null,
    p95: null,
    p99: null,
    errorRate: null,
    throughput: null,
    drift: null,
    gpuUtilization: null,
    gpuMemoryBytes: null,
    availability: null,
    ...noServingValues,
  },
  series: empty(),
  panelErrors: undefined,
  alerts: [],
  prometheus: {
    state: 'not-queried',
    message:
      'The Model has no mlplatform.io/metrics-selector annotation, so its metrics were not read',
  },
  alertmanager: {
    state: 'not-queried',
    message:
      'The Model has no mlplatform.io/metrics-selector annotation, so its alerts were not read',
  },
};

/** support-assistant-llm as the demo data has it: vLLM, TTFT over its SLO. */
export const llmHealth: ModelHealthResponse = {
  ...failingHealth,
  entityRef: 'model:default/support-assistant-llm',
  verdict: 'degraded',
  reason: 'ttftP95Ms 1600 ms > 1000 ms',
  profile: 'vllm',
  objectives: [
    {
      name: 'latencyP95Ms',
      target: 2500,
      bound: 'max',
      actual: 2441,
      status: 'healthy',
    },
    {
      name: 'ttftP95Ms',
      target: 1000,
      bound: 'max',
      actual: 1600,
      status: 'degraded',
    },
    {
      name: 'tpotP95Ms',
      target: 80,
      bound: 'max',
      actual: 67.86,
      status: 'healthy',
    },
    {
      name: 'kvCacheUsage',
      target: 0.9,
      bound: 'max',
      actual: 0.68,
      status: 'healthy',
    },
  ],
  current: {
    ...failingHealth.current,
    drift: null,
    ttftP95: 1.6,
    tpotP95: 0.06786,
    promptTokensPerSecond: 1400,
    generationTokensPerSecond: 880,
    requestsRunning: 12,
    requestsWaiting: 2,
    kvCacheUsage: 0.68,
    batchSize: null,
  },
  series: {
    ...empty(),
    latencyP50: points([1.4, 1.5, 1.4, 1.45]),
    latencyP95: points([2.4, 2.44, 2.43, 2.44]),
    latencyP99: points([3.9, 4, 4.1, 4]),
    errorRate: points([0.004, 0.004, 0.004, 0.004]),
    throughput: points([3.9, 4, 4.1, 4]),
    ttftP95: points([1.5, 1.6, 1.7, 1.6]),
    tpotP95: points([0.065, 0.068, 0.07, 0.068]),
    promptTokens: points([1380, 1400, 1420, 1400]),
    generationTokens: points([860, 880, 900, 880]),
    requestsRunning: points([10, 12, 14, 12]),
    requestsWaiting: points([0, 2, 3, 2]),
    kvCacheUsage: points([0.6, 0.7, 0.78, 0.68]),
  },
  panelErrors: undefined,
  alerts: [],
};
