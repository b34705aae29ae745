import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ModelSlo, parseHealthWindow } from '@mlplatform/plugin-ml-common';
import {
  describeIfBinary,
  openMetricsSeries,
  OpenMetricsPoint,
  PrometheusHandle,
  serverBinaries,
  startPrometheus,
} from '@mlplatform/test-services';
import { builtInMetricsProfiles } from './metricsProfiles';
import { ModelHealthService } from './ModelHealthService';
import { PrometheusClient } from './PrometheusClient';

// The vllm and tei profiles against real Prometheus: series shaped as vLLM
// and Text Embeddings Inference expose them, backfilled for an hour, and
// the verdict each Model's spec.slo gives.

jest.setTimeout(90_000);

type Buckets = Array<[le: string, share: number]>;

/** `histogram_quantile` of cumulative shares, as Prometheus computes it. */
function quantile(q: number, buckets: Buckets): number {
  let lower = 0;
  let below = 0;
  for (const [le, share] of buckets) {
    if (share >= q) {
      return lower + ((Number(le) - lower) * (q - below)) / (share - below);
    }
    lower = Number(le);
    below = share;
  }
  throw new Error('quantile beyond the last finite bucket');
}

// Time to first token: p95 0.4 s (fast) or 0.8 s (slow).
const TTFT_FAST: Buckets = [
  ['0.1', 0.3],
  ['0.25', 0.7],
  ['0.5', 0.97],
  ['1', 1],
  ['+Inf', 1],
];
const TTFT_SLOW: Buckets = [
  ['0.1', 0.1],
  ['0.25', 0.3],
  ['0.5', 0.7],
  ['1', 0.99],
  ['+Inf', 1],
];
const TPOT: Buckets = [
  ['0.025', 0.5],
  ['0.05', 0.9],
  ['0.1', 1],
  ['+Inf', 1],
];
const E2E: Buckets = [
  ['1', 0.4],
  ['2.5', 0.9],
  ['5', 1],
  ['+Inf', 1],
];
// Embedding request latency: p95 20 ms (fast) or 45 ms (slow).
const EMBED_FAST: Buckets = [
  ['0.005', 0.2],
  ['0.01', 0.6],
  ['0.025', 0.98],
  ['0.05', 1],
  ['+Inf', 1],
];
const EMBED_SLOW: Buckets = [
  ['0.005', 0.05],
  ['0.01', 0.2],
  ['0.025', 0.6],
  ['0.05', 0.98],
  ['+Inf', 1],
];

interface Series {
  name: string;
  labels: Record<string, string>;
  /** Value at `s` seconds after the start of the data. */
  at: (s: number) => number;
}

function histogram(
  name: string,
  labels: Record<string, string>,
  rate: number,
  buckets: Buckets,
): Series[] {
  return [
    ...buckets.map(([le, share]) => ({
      name: `${name}_bucket`,
      labels: { ...labels, le },
      at: (s: number) => rate * s * share,
    })),
    { name: `${name}_count`, labels, at: (s: number) => rate * s },
  ];
}

function vllm(
  modelName: string,
  options: { ttft: Buckets; kvCache: number; legacy?: boolean },
): Series[] {
  const labels = {
    namespace: 'llm',
    model_name: modelName,
    pod: `${modelName}-0`,
  };
  const rate = 2;
  return [
    ...histogram('vllm:e2e_request_latency_seconds', labels, rate, E2E),
    ...histogram(
      'vllm:time_to_first_token_seconds',
      labels,
      rate,
      options.ttft,
    ),
    ...histogram(
      options.legacy
        ? 'vllm:time_per_output_token_seconds'
        : 'vllm:request_time_per_output_token_seconds',
      labels,
      rate,
      TPOT,
    ),
    {
      name: 'vllm:request_success_total',
      labels: { ...labels, finished_reason: 'stop' },
      at: s => rate * s * 0.99,
    },
    {
      name: 'vllm:request_success_total',
      labels: { ...labels, finished_reason: 'error' },
      at: s => rate * s * 0.01,
    },
    { name: 'vllm:prompt_tokens_total', labels, at: s => 600 * s },
    { name: 'vllm:generation_tokens_total', labels, at: s => 300 * s },
    { name: 'vllm:num_requests_running', labels, at: () => 6 },
    { name: 'vllm:num_requests_waiting', labels, at: () => 1 },
    {
      name: options.legacy
        ? 'vllm:gpu_cache_usage_perc'
        : 'vllm:kv_cache_usage_perc',
      labels,
      at: () => options.kvCache,
    },
    { name: 'up', labels, at: () => 1 },
  ];
}

function tei(service: string, latency: Buckets, failureShare: number) {
  const labels = { namespace: 'search', service, pod: `${service}-0` };
  const rate = 50;
  return [
    ...histogram('te_request_duration', labels, rate, latency),
    // Requests come in batches of 8 on average.
    ...histogram('te_batch_next_size', labels, rate / 8, [['+Inf', 1]]),
    {
      name: 'te_batch_next_size_sum',
      labels,
      at: (s: number) => rate * s,
    },
    {
      name: 'te_request_count',
      labels: { ...labels, method: 'single' },
      at: (s: number) => rate * s,
    },
    {
      name: 'te_request_failure',
      labels: { ...labels, err: 'overloaded' },
      at: (s: number) => rate * s * failureShare,
    },
    { name: 'te_queue_size', labels, at: () => 3 },
    { name: 'up', labels, at: () => 1 },
  ];
}

function backfill(series: Series[], now: number): string {
  const start = now - 3600;
  return series
    .map(s => {
      const points: OpenMetricsPoint[] = [];
      for (let t = start; t <= now; t += 15) points.push([t, s.at(t - start)]);
      return openMetricsSeries(s.name, s.labels, points);
    })
    .join('');
}

function model(
  name: string,
  selector: string,
  profile: string,
  slo: ModelSlo,
): Entity {
  return {
    apiVersion: 'mlplatform.io/v1alpha1',
    kind: 'Model',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        'mlplatform.io/metrics-selector': selector,
        'mlplatform.io/metrics-profile': profile,
      },
    },
    spec: { type: 'llm', lifecycle: 'production', owner: 'team-a', slo },
  };
}

const LLM_SLO: ModelSlo = {
  ttftP95Ms: 500,
  tpotP95Ms: 100,
  maxKvCacheUsage: 0.9,
  errorRate: 0.02,
};

describeIfBinary([serverBinaries.prometheus, serverBinaries.promtool])(
  'LLM and embedding profiles in real Prometheus',
  () => {
    const now = Math.floor(Date.now() / 1000) - 5;
    let prom: PrometheusHandle;
    let service: ModelHealthService;
    const health = (entity: Entity) =>
      service.getHealth(entity, parseHealthWindow('15m'));

    beforeAll(async () => {
      prom = await startPrometheus({
        backfill: backfill(
          [
            ...vllm('llm-fast', { ttft: TTFT_FAST, kvCache: 0.5 }),
            ...vllm('llm-slow', { ttft: TTFT_SLOW, kvCache: 0.5 }),
            ...vllm('llm-full', { ttft: TTFT_FAST, kvCache: 0.97 }),
            ...vllm('llm-legacy', {
              ttft: TTFT_FAST,
              kvCache: 0.95,
              legacy: true,
            }),
            ...tei('embed-fast', EMBED_FAST, 0),
            ...tei('embed-slow', EMBED_SLOW, 0.0015),
          ],
          now,
        ),
      });
      service = ModelHealthService.create({
        prometheus: PrometheusClient.create({ url: prom.url }),
        profiles: new Map(Object.entries(builtInMetricsProfiles)),
        logger: mockServices.logger.mock(),
        cacheTtlMs: 0,
        driftThreshold: null,
      });
    }, 90_000);

    afterAll(async () => {
      await prom?.stop();
    });

    const llm = (name: string) =>
      model(name, `namespace="llm", model_name="${name}"`, 'vllm', LLM_SLO);

    it('is healthy for an LLM within its TTFT, TPOT, KV-cache and error objectives', async () => {
      const answer = await health(llm('llm-fast'));
      expect(answer.profile).toBe('vllm');
      expect(answer.current.ttftP95).toBeCloseTo(quantile(0.95, TTFT_FAST), 6);
      expect(answer.current.tpotP95).toBeCloseTo(quantile(0.95, TPOT), 6);
      expect(answer.current.p95).toBeCloseTo(quantile(0.95, E2E), 6);
      expect(answer.current.errorRate).toBeCloseTo(0.01, 6);
      expect(answer.current.throughput).toBeCloseTo(2, 6);
      expect(answer.current.promptTokensPerSecond).toBeCloseTo(600, 6);
      expect(answer.current.generationTokensPerSecond).toBeCloseTo(300, 6);
      expect(answer.current.requestsRunning).toBe(6);
      expect(answer.current.requestsWaiting).toBe(1);
      expect(answer.current.kvCacheUsage).toBeCloseTo(0.5, 6);
      expect(answer.current.batchSize).toBeNull();
      expect(answer.verdict).toBe('healthy');
      expect(answer.objectives.map(o => [o.name, o.status])).toEqual([
        ['errorRate', 'healthy'],
        ['ttftP95Ms', 'healthy'],
        ['tpotP95Ms', 'healthy'],
        ['kvCacheUsage', 'healthy'],
      ]);
      for (const panel of [
        'ttftP95',
        'tpotP95',
        'promptTokens',
        'generationTokens',
        'requestsRunning',
        'requestsWaiting',
        'kvCacheUsage',
      ] as const) {
        const points = answer.series[panel].filter(p => p.v !== null);
        expect([panel, points.length > 20]).toEqual([panel, true]);
      }
      expect(answer.series.batchSize).toEqual([]);
    });

    it('is degraded when time to first token is over its objective', async () => {
      const answer = await health(llm('llm-slow'));
      const ttft = quantile(0.95, TTFT_SLOW);
      expect(ttft).toBeGreaterThan(0.5);
      expect(answer.current.ttftP95).toBeCloseTo(ttft, 6);
      expect(answer.verdict).toBe('degraded');
      expect(answer.reason).toBe(
        `ttftP95Ms ${Number((ttft * 1000).toPrecision(4))} ms > 500 ms`,
      );
    });

    it('is degraded when the KV cache is fuller than its objective', async () => {
      const answer = await health(llm('llm-full'));
      expect(answer.current.kvCacheUsage).toBeCloseTo(0.97, 6);
      expect(answer.verdict).toBe('degraded');
      expect(answer.reason).toBe('kvCacheUsage 0.97 > 0.9');
    });

    it("reads vLLM's older metric names (gpu_cache_usage_perc, time_per_output_token_seconds)", async () => {
      const answer = await health(llm('llm-legacy'));
      expect(answer.current.tpotP95).toBeCloseTo(quantile(0.95, TPOT), 6);
      expect(answer.current.kvCacheUsage).toBeCloseTo(0.95, 6);
      expect(answer.verdict).toBe('degraded');
      expect(answer.reason).toBe('kvCacheUsage 0.95 > 0.9');
    });

    const embedding = (name: string) =>
      model(name, `namespace="search", service="${name}"`, 'tei', {
        latencyP95Ms: 30,
        errorRate: 0.001,
      });

    it('is healthy for an embedding server within its latency objective', async () => {
      const answer = await health(embedding('embed-fast'));
      expect(answer.profile).toBe('tei');
      expect(answer.current.p95).toBeCloseTo(quantile(0.95, EMBED_FAST), 6);
      expect(answer.current.throughput).toBeCloseTo(50, 6);
      expect(answer.current.batchSize).toBeCloseTo(8, 6);
      expect(answer.current.requestsWaiting).toBe(3);
      expect(answer.current.errorRate).toBe(0);
      expect(answer.current.ttftP95).toBeNull();
      expect(answer.verdict).toBe('healthy');
      expect(
        answer.series.batchSize.filter(p => p.v !== null).length,
      ).toBeGreaterThan(20);
    });

    it('is degraded when embedding latency and errors are over their objectives', async () => {
      const answer = await health(embedding('embed-slow'));
      const p95 = quantile(0.95, EMBED_SLOW);
      expect(answer.current.p95).toBeCloseTo(p95, 6);
      expect(answer.current.errorRate).toBeCloseTo(0.0015, 6);
      expect(answer.verdict).toBe('degraded');
      expect(answer.reason).toBe(
        `latencyP95Ms ${Number(
          (p95 * 1000).toPrecision(4),
        )} ms > 30 ms; errorRate 0.0015 > 0.001`,
      );
    });
  },
);
