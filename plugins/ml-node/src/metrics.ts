import { createExtensionPoint } from '@backstage/backend-plugin-api';

/**
 * The PromQL templates of one model serving runtime. Each template receives
 * the model's label matchers through the `{{selector}}` placeholder, which the
 * backend fills from a parsed `mlplatform.io/metrics-selector`, and the range
 * window through `{{window}}`.
 *
 * @public
 */
export interface MetricsProfile {
  /** Profile name used in `mlplatform.io/metrics-profile`, e.g. `kserve`. */
  name: string;
  /** Human readable description shown in the portal. */
  description: string;
  /** PromQL templates per panel; a missing panel is shown as "not available". */
  queries: Partial<
    Record<
      | 'latencyP50'
      | 'latencyP95'
      | 'latencyP99'
      | 'errorRate'
      | 'throughput'
      | 'drift'
      | 'gpuUtilization'
      | 'gpuMemoryUsed'
      // LLM servers (vLLM): seconds, tokens per second, request counts and
      // the KV cache's used share (0..1).
      | 'ttftP95'
      | 'tpotP95'
      | 'promptTokens'
      | 'generationTokens'
      | 'requestsRunning'
      | 'requestsWaiting'
      | 'kvCacheUsage'
      // Embedding servers: mean batch size.
      | 'batchSize',
      string
    >
  >;
}

/**
 * Lets backend modules add metrics profiles beyond those in config.
 *
 * @public
 */
export interface MlMetricsProfilesExtensionPoint {
  addMetricsProfile(...profiles: MetricsProfile[]): void;
}

/**
 * Extension point for {@link MlMetricsProfilesExtensionPoint}.
 *
 * @public
 */
export const mlMetricsProfilesExtensionPoint =
  createExtensionPoint<MlMetricsProfilesExtensionPoint>({
    id: 'ml.metricsProfiles',
  });
