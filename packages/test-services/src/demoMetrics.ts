import http from 'node:http';
import { AddressInfo } from 'node:net';
import { demoVolumeSamples } from './demoVolumes';
import { openMetricsSeries, OpenMetricsPoint } from './openMetrics';

/**
 * One example model of `examples/ml` that the demo data covers.
 *
 * @public
 */
export interface DemoModel {
  /** Catalog entity ref, e.g. `model:default/intent-classifier`. */
  entityRef: string;
  /** Labels of its `mlplatform.io/metrics-selector` annotation (all `=`). */
  selector: Record<string, string>;
  /** Its `mlplatform.io/metrics-profile` (default `openmetrics`). */
  profile: 'openmetrics' | 'kserve' | 'triton' | 'vllm';
  /** The verdict the data and the demo alert rule produce against the model's `spec.slo`. */
  expectedVerdict: 'healthy' | 'degraded' | 'failing';
  /** The verdict of the objectives alone, before any alert fires. */
  objectivesVerdict: 'healthy' | 'degraded' | 'failing';
  /** Kubernetes pod of the model server, joined with the DCGM series. */
  pod: string;
  /** Latency quantile p95 the data yields, in seconds. */
  p95Seconds: number;
  /** Failed share of requests the data yields. */
  errorRate: number;
  /** Drift score at the end of the data; null for a profile without drift (vLLM). */
  drift: number | null;
  /**
   * KServe revisions during a canary, each with its own series labelled
   * `revision_name` (as Knative's queue-proxy labels its metrics); the
   * model's figures above are those of all of them together.
   */
  revisions?: readonly DemoRevision[];
  /** LLM servers: what the data yields for the vLLM-only panels. */
  llm?: {
    /** Time to first token, p95, seconds. */
    ttftP95Seconds: number;
    /** Time per output token, p95, seconds. */
    tpotP95Seconds: number;
    /** KV-cache use, mean over any whole number of 20-minute periods. */
    kvCacheUsage: number;
    /** Prompt and generated tokens per request. */
    promptTokens: number;
    generationTokens: number;
  };
}

/**
 * One KServe revision of a demo model during a canary: what the Serving
 * card judges side by side.
 *
 * @public
 */
export interface DemoRevision {
  /** Knative revision, the `revision_name` of its series, e.g. `fraud-detector-predictor-00002`. */
  name: string;
  /** Its place in examples/kube/gpu-cluster-a.yaml's InferenceService. */
  role: 'stable' | 'canary';
  /** Share of the model's requests it serves. */
  traffic: number;
  /** Its predictor pod. */
  pod: string;
  /** Latency p95 its data yields, in seconds. */
  p95Seconds: number;
  /** Failed share of its requests. */
  errorRate: number;
  /** The verdict of its objectives against the model's `spec.slo`. */
  expectedVerdict: 'healthy' | 'degraded' | 'failing';
}

/*
 * One model per team, with the selectors of their annotations in
 * examples/ml (the demo test checks they still agree):
 * - intent-classifier (nlp, openmetrics): well within its SLO.
 * - product-ranker (recsys, triton): p95 110 ms against 80 ms, within 2x.
 * - fraud-detector (fraud, kserve): drift rising to 0.72, above the 0.6 of
 *   the ModelDriftHigh rule and 2x the 0.3 drift objective. Served as
 *   examples/kube/gpu-cluster-a.yaml's InferenceService leaves it: stable
 *   v2 (revision 00001) with 90 % of the requests, within its SLO, and a
 *   canary of v3 (00002) with 10 %, p95 78 ms against 50 ms (degraded).
 * - support-assistant-llm (nlp, vllm): vLLM-shaped series (label
 *   `model_name`); time to first token p95 1.6 s against its 1000 ms
 *   objective (degraded, within 2x), everything else within its SLO.
 */

// Bucket upper bounds and the share of requests at or below each.
type Buckets = Array<[le: string, share: number]>;

const INTENT_BUCKETS: Buckets = [
  ['0.025', 0.3],
  ['0.05', 0.7],
  ['0.1', 0.97],
  ['0.25', 0.998],
  ['0.5', 1],
  ['+Inf', 1],
];

const FRAUD_BUCKETS: Buckets = [
  ['0.005', 0.1],
  ['0.01', 0.35],
  ['0.025', 0.85],
  ['0.05', 0.98],
  ['0.1', 0.998],
  ['0.25', 1],
  ['+Inf', 1],
];

// The fraud detector's v3 canary: slower than v2 (the same bounds, so the
// model's histogram sums both).
const FRAUD_CANARY_BUCKETS: Buckets = [
  ['0.005', 0.05],
  ['0.01', 0.2],
  ['0.025', 0.6],
  ['0.05', 0.9],
  ['0.1', 0.99],
  ['0.25', 1],
  ['+Inf', 1],
];

// vLLM's own bucket bounds (a subset), with the shares of the demo LLM.
const LLM_E2E_BUCKETS: Buckets = [
  ['0.5', 0.05],
  ['1', 0.25],
  ['1.5', 0.55],
  ['2', 0.8],
  ['2.5', 0.97],
  ['5', 0.998],
  ['10', 1],
  ['+Inf', 1],
];

const LLM_TTFT_BUCKETS: Buckets = [
  ['0.1', 0.05],
  ['0.25', 0.35],
  ['0.5', 0.7],
  ['0.75', 0.86],
  ['1', 0.92],
  ['2.5', 0.995],
  ['5', 1],
  ['+Inf', 1],
];

const LLM_TPOT_BUCKETS: Buckets = [
  ['0.01', 0.02],
  ['0.025', 0.45],
  ['0.05', 0.9],
  ['0.075', 0.97],
  ['0.1', 0.995],
  ['0.15', 1],
  ['+Inf', 1],
];

/** `histogram_quantile` of cumulative shares, as Prometheus computes it. */
function bucketQuantile(q: number, buckets: Buckets): number {
  let lower = 0;
  let below = 0;
  for (const [le, share] of buckets) {
    const upper = Number(le);
    if (share >= q) {
      return lower + ((upper - lower) * (q - below)) / (share - below);
    }
    lower = upper;
    below = share;
  }
  throw new Error('quantile beyond the last finite bucket');
}

/** The histogram of several revisions' requests together, by traffic share. */
function mixBuckets(
  parts: Array<[buckets: Buckets, traffic: number]>,
): Buckets {
  return parts[0][0].map(([le], i) => [
    le,
    parts.reduce((sum, [b, traffic]) => sum + b[i][1] * traffic, 0),
  ]);
}

const FRAUD_REVISIONS: Array<
  Omit<DemoRevision, 'p95Seconds'> & { buckets: Buckets; meanSeconds: number }
> = [
  {
    name: 'fraud-detector-predictor-00001',
    role: 'stable',
    traffic: 0.9,
    pod: 'fraud-detector-predictor-00001-deployment-7f8b9c-tq5zn',
    buckets: FRAUD_BUCKETS,
    meanSeconds: 0.018,
    errorRate: 0.001,
    expectedVerdict: 'healthy',
  },
  {
    name: 'fraud-detector-predictor-00002',
    role: 'canary',
    traffic: 0.1,
    pod: 'fraud-detector-predictor-00002-deployment-5c6d7e-m4x8r',
    buckets: FRAUD_CANARY_BUCKETS,
    meanSeconds: 0.029,
    errorRate: 0.003,
    expectedVerdict: 'degraded',
  },
];

const TRITON_QUANTILES_US: Record<string, number> = {
  '0.5': 38000,
  '0.9': 85000,
  '0.95': 110000,
  '0.99': 150000,
};

/** Drift of the failing model: 0.1 until 3 h before the anchor, 0.72 from 1 h before. */
function fraudDrift(t: number, anchor: number): number {
  const from = anchor - 3 * 3600;
  const to = anchor - 3600;
  if (t <= from) return 0.1;
  if (t >= to) return 0.72;
  return 0.1 + ((t - from) / (to - from)) * 0.62;
}

/**
 * The models of the demo data.
 *
 * @public
 */
export const DEMO_MODELS: readonly DemoModel[] = [
  {
    entityRef: 'model:default/intent-classifier',
    selector: { namespace: 'nlp', model: 'intent-classifier' },
    profile: 'openmetrics',
    expectedVerdict: 'healthy',
    objectivesVerdict: 'healthy',
    pod: 'intent-service-6c9f7d5b8-x2kq4',
    p95Seconds: bucketQuantile(0.95, INTENT_BUCKETS),
    errorRate: 0.002,
    drift: 0.08,
  },
  {
    entityRef: 'model:default/product-ranker',
    selector: { namespace: 'recsys', model: 'product-ranker' },
    profile: 'triton',
    expectedVerdict: 'degraded',
    objectivesVerdict: 'degraded',
    pod: 'recommendations-triton-0',
    p95Seconds: TRITON_QUANTILES_US['0.95'] / 1e6,
    errorRate: 0.005,
    drift: 0.12,
  },
  {
    entityRef: 'model:default/fraud-detector',
    selector: { namespace: 'fraud', model: 'fraud-detector' },
    profile: 'kserve',
    // Drift 0.72 against its own maxDriftScore 0.6 is degraded (within 2x);
    // the critical ModelDriftHigh alert makes it failing.
    expectedVerdict: 'failing',
    objectivesVerdict: 'degraded',
    pod: FRAUD_REVISIONS[0].pod,
    p95Seconds: bucketQuantile(
      0.95,
      mixBuckets(FRAUD_REVISIONS.map(r => [r.buckets, r.traffic])),
    ),
    errorRate: FRAUD_REVISIONS.reduce((s, r) => s + r.errorRate * r.traffic, 0),
    drift: 0.72,
    revisions: FRAUD_REVISIONS.map(({ buckets, meanSeconds, ...r }) => ({
      ...r,
      p95Seconds: bucketQuantile(0.95, buckets),
    })),
  },
  {
    entityRef: 'model:default/support-assistant-llm',
    selector: { namespace: 'nlp', model_name: 'support-assistant-llm' },
    profile: 'vllm',
    // TTFT p95 1.6 s against ttftP95Ms 1000: degraded (within 2x).
    expectedVerdict: 'degraded',
    objectivesVerdict: 'degraded',
    pod: 'support-assistant-llm-predictor-5d7c9b6f4-hq8wz',
    p95Seconds: bucketQuantile(0.95, LLM_E2E_BUCKETS),
    errorRate: 0.004,
    drift: null,
    llm: {
      ttftP95Seconds: bucketQuantile(0.95, LLM_TTFT_BUCKETS),
      tpotP95Seconds: bucketQuantile(0.95, LLM_TPOT_BUCKETS),
      kvCacheUsage: 0.68,
      promptTokens: 350,
      generationTokens: 220,
    },
  },
];

type Sample = [name: string, labels: Record<string, string>, value: number];

const DAY = 86400;

/**
 * Requests served since the epoch at a base rate with a daily swing of
 * +-30 %: the integral of `base * (1 + 0.3 sin(2 pi t / day))`, so rates
 * taken anywhere are exact and charts show the daily pattern.
 */
function requestsUntil(t: number, base: number): number {
  const w = (2 * Math.PI) / DAY;
  return base * (t + (0.3 / w) * (1 - Math.cos(w * t)));
}

function wobble(t: number, period: number, amplitude: number): number {
  return amplitude * Math.sin((2 * Math.PI * t) / period);
}

/** The labels of a model server pod's own series. */
function podLabels(
  model: DemoModel,
  pod: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...model.selector,
    ...extra,
    pod,
    job: 'model-servers',
    instance: `${pod}:8080`,
  };
}

/** `up` and the DCGM series of one model server pod with one GPU. */
function podSamples(
  model: DemoModel,
  pod: string,
  labels: Record<string, string>,
  t: number,
): Sample[] {
  const gpu = {
    namespace: model.selector.namespace,
    pod,
    container: 'model-server',
    gpu: '0',
    UUID: `GPU-${pod}-0`,
    modelName: 'NVIDIA A100-SXM4-40GB',
  };
  return [
    ['up', labels, 1],
    ['DCGM_FI_DEV_GPU_UTIL', gpu, 55 + wobble(t, 1800, 15)],
    ['DCGM_FI_DEV_FB_USED', gpu, 14000 + wobble(t, 3600, 500)],
  ];
}

function samplesAt(model: DemoModel, t: number, anchor: number): Sample[] {
  const base = podLabels(model, model.pod);
  const out: Sample[] =
    model.profile === 'kserve' ? [] : podSamples(model, model.pod, base, t);
  if (model.profile === 'openmetrics') {
    const total = requestsUntil(t, 50);
    for (const [le, share] of INTENT_BUCKETS) {
      out.push([
        'model_request_duration_seconds_bucket',
        { ...base, le },
        total * share,
      ]);
    }
    out.push(['model_request_duration_seconds_count', base, total]);
    out.push(['model_request_duration_seconds_sum', base, total * 0.045]);
    out.push([
      'model_requests_total',
      { ...base, code: '200' },
      total * (1 - model.errorRate),
    ]);
    out.push([
      'model_requests_total',
      { ...base, code: '500' },
      total * model.errorRate,
    ]);
    out.push([
      'model_drift_score',
      base,
      (model.drift ?? 0) + wobble(t, 7200, 0.02),
    ]);
  } else if (model.profile === 'kserve') {
    // Each revision's pod labels its series with its revision_name, as
    // Knative's queue-proxy does and a scrape relabelling of the pod label
    // serving.knative.dev/revision does for the model server's own.
    const total = requestsUntil(t, 120);
    for (const r of FRAUD_REVISIONS) {
      const labels = podLabels(model, r.pod, { revision_name: r.name });
      const requests = total * r.traffic;
      out.push(...podSamples(model, r.pod, labels, t));
      for (const [le, share] of r.buckets) {
        out.push([
          'request_predict_seconds_bucket',
          { ...labels, le },
          requests * share,
        ]);
      }
      out.push(['request_predict_seconds_count', labels, requests]);
      out.push([
        'request_predict_seconds_sum',
        labels,
        requests * r.meanSeconds,
      ]);
      out.push([
        'revision_request_count',
        { ...labels, response_code_class: '2xx' },
        requests * (1 - r.errorRate),
      ]);
      out.push([
        'revision_request_count',
        { ...labels, response_code_class: '5xx' },
        requests * r.errorRate,
      ]);
    }
    // The drift detector watches the model's inputs, whichever revision.
    out.push(['model_drift_score', base, fraudDrift(t, anchor)]);
  } else if (model.profile === 'vllm') {
    out.push(...vllmSamples(model, base, t));
  } else {
    const labels = { ...base, version: '3' };
    const requests = requestsUntil(t, 80);
    for (const [quantile, us] of Object.entries(TRITON_QUANTILES_US)) {
      out.push([
        'nv_inference_request_summary_us',
        { ...labels, quantile },
        us,
      ]);
    }
    out.push([
      'nv_inference_request_success',
      labels,
      requests * (1 - model.errorRate),
    ]);
    out.push([
      'nv_inference_request_failure',
      labels,
      requests * model.errorRate,
    ]);
    // Batches of 4 on average: inferences outnumber requests.
    out.push(['nv_inference_count', labels, requests * 4]);
    out.push([
      'model_drift_score',
      base,
      (model.drift ?? 0) + wobble(t, 5400, 0.02),
    ]);
  }
  return out;
}

/**
 * vLLM's series for one served model: request histograms whose every
 * bucket grows with the requests (so quantiles are exact), finished
 * requests by `finished_reason`, token counters and scheduler gauges.
 */
function vllmSamples(
  model: DemoModel,
  base: Record<string, string>,
  t: number,
): Sample[] {
  const llm = model.llm!;
  const rate = 4;
  const total = requestsUntil(t, rate);
  const out: Sample[] = [];
  const histogram = (name: string, buckets: Buckets, mean: number) => {
    for (const [le, share] of buckets) {
      out.push([`${name}_bucket`, { ...base, le }, total * share]);
    }
    out.push([`${name}_count`, base, total]);
    out.push([`${name}_sum`, base, total * mean]);
  };
  histogram('vllm:e2e_request_latency_seconds', LLM_E2E_BUCKETS, 1.6);
  histogram('vllm:time_to_first_token_seconds', LLM_TTFT_BUCKETS, 0.45);
  histogram(
    'vllm:request_time_per_output_token_seconds',
    LLM_TPOT_BUCKETS,
    0.032,
  );
  const ok = total * (1 - model.errorRate);
  out.push(
    [
      'vllm:request_success_total',
      { ...base, finished_reason: 'stop' },
      ok * 0.8,
    ],
    [
      'vllm:request_success_total',
      { ...base, finished_reason: 'length' },
      ok * 0.2,
    ],
    [
      'vllm:request_success_total',
      { ...base, finished_reason: 'error' },
      total * model.errorRate,
    ],
    [
      'vllm:prompt_tokens_total',
      base,
      requestsUntil(t, rate * llm.promptTokens),
    ],
    [
      'vllm:generation_tokens_total',
      base,
      requestsUntil(t, rate * llm.generationTokens),
    ],
    ['vllm:num_requests_running', base, Math.round(12 + wobble(t, 900, 4))],
    [
      'vllm:num_requests_waiting',
      base,
      Math.max(0, Math.round(wobble(t, 600, 3))),
    ],
    ['vllm:kv_cache_usage_perc', base, llm.kvCacheUsage + wobble(t, 1200, 0.1)],
  );
  return out;
}

/**
 * The demo's idle notebook: a 1-GPU Kubeflow notebook of the guest
 * (fraud-team) that `scripts/demo-stack.sh wait-portal` creates through the
 * portal, whose pod DCGM reports at 1 % for the whole history, so My
 * notebooks and the GPU quota page show it idle (docs/notebooks.md).
 *
 * @public
 */
export const DEMO_IDLE_NOTEBOOK = {
  cluster: 'gpu-cluster-a',
  namespace: 'fraud',
  name: 'forgotten-notebook',
  gpus: 1,
  utilization: 1,
} as const;

/**
 * The demo's idle JupyterHub notebook: the guest's 1-GPU named server in
 * fraud-lab on gpu-cluster-b (the namespace the demo JupyterHub serves),
 * which `scripts/demo-stack.sh wait-portal` creates through the portal. The
 * local-process spawner runs no pod, so the demo exporter reports its GPU
 * as the NVIDIA DCGM exporter would report a KubeSpawner pod's with
 * `--kubernetes-enable-pod-labels`: KubeSpawner's pod labels with every
 * character outside [a-zA-Z0-9_] turned into `_` (docs/notebooks.md).
 *
 * @public
 */
export const DEMO_IDLE_HUB_NOTEBOOK = {
  cluster: 'gpu-cluster-b',
  namespace: 'fraud-lab',
  name: 'idle-lab',
  user: 'guest',
  gpus: 1,
  utilization: 2,
} as const;

/**
 * The idle notebooks' GPUs, one in the namespace of a model, which no model
 * panel may count.
 */
function bystanderSamples(t: number): Sample[] {
  const gpu = {
    namespace: DEMO_IDLE_NOTEBOOK.namespace,
    pod: `${DEMO_IDLE_NOTEBOOK.name}-0`,
    container: 'notebook',
    gpu: '1',
    UUID: `GPU-${DEMO_IDLE_NOTEBOOK.name}-1`,
    modelName: 'NVIDIA A100-SXM4-40GB',
  };
  const hub = DEMO_IDLE_HUB_NOTEBOOK;
  const hubGpu = {
    namespace: hub.namespace,
    pod: `jupyter-${hub.user}--${hub.name}`,
    container: 'notebook',
    gpu: '0',
    UUID: `GPU-${hub.user}-${hub.name}-0`,
    modelName: 'NVIDIA A100-SXM4-80GB',
    component: 'singleuser-server',
    app_kubernetes_io_component: 'singleuser-server',
    hub_jupyter_org_username: hub.user,
    hub_jupyter_org_servername: hub.name,
  };
  return [
    ['DCGM_FI_DEV_GPU_UTIL', gpu, DEMO_IDLE_NOTEBOOK.utilization],
    ['DCGM_FI_DEV_FB_USED', gpu, 39000 + wobble(t, 600, 10)],
    ['DCGM_FI_DEV_GPU_UTIL', hubGpu, hub.utilization],
    ['DCGM_FI_DEV_FB_USED', hubGpu, 12000 + wobble(t, 600, 10)],
  ];
}

/** A GPU pod of the demo clusters, as kube-state-metrics reports it. */
interface DemoGpuPod {
  cluster: string;
  namespace: string;
  pod: string;
  node: string;
  resource: string;
  gpus: number;
  /** Whether it runs at time t (seconds); always when absent. */
  runs?: (t: number) => boolean;
}

/**
 * The demo's GPU pods: serving, a training job that runs 6 h of every 12,
 * a notebook in working hours (UTC), a fine-tuning job on H100s and a MIG
 * notebook, so GPU-hours per team differ by day and GPU type.
 */
const DEMO_GPU_PODS: DemoGpuPod[] = [
  {
    cluster: 'gpu-cluster-a',
    namespace: 'fraud',
    pod: 'fraud-detector-predictor-0',
    node: 'a100-node-1',
    resource: 'nvidia_com_gpu',
    gpus: 1,
  },
  {
    cluster: 'gpu-cluster-a',
    namespace: 'fraud',
    pod: 'train-fraud-xgb-7f9c',
    node: 'a100-node-2',
    resource: 'nvidia_com_gpu',
    gpus: 4,
    runs: t => t % 43_200 < 21_600,
  },
  {
    cluster: 'gpu-cluster-a',
    namespace: 'fraud',
    pod: 'notebook-ada-0',
    node: 'a100-node-1',
    resource: 'nvidia_com_gpu',
    gpus: 1,
    runs: t => {
      const h = (t % DAY) / 3600;
      return h >= 8 && h < 18;
    },
  },
  {
    cluster: 'gpu-cluster-a',
    namespace: 'recsys',
    pod: 'ranker-train-0',
    node: 'a100-node-2',
    resource: 'nvidia_com_gpu',
    gpus: 2,
  },
  {
    cluster: 'gpu-cluster-b',
    namespace: 'nlp',
    pod: 'llm-finetune-0',
    node: 'h100-node-1',
    resource: 'nvidia_com_gpu',
    gpus: 8,
  },
  {
    cluster: 'gpu-cluster-b',
    namespace: 'nlp',
    pod: 'mig-notebook-0',
    node: 'a100-mig-node-1',
    resource: 'nvidia_com_mig_1g_10gb',
    gpus: 2,
  },
];

const DEMO_GPU_NODES: Array<[cluster: string, node: string, product: string]> =
  [
    ['gpu-cluster-a', 'a100-node-1', 'NVIDIA-A100-SXM4-80GB'],
    ['gpu-cluster-a', 'a100-node-2', 'NVIDIA-A100-SXM4-80GB'],
    ['gpu-cluster-b', 'h100-node-1', 'NVIDIA-H100-80GB-HBM3'],
    ['gpu-cluster-b', 'a100-mig-node-1', 'NVIDIA-A100-SXM4-40GB'],
  ];

/** Share of Kueue admissions within each wait bucket (seconds). */
const KUEUE_WAIT_BUCKETS: Buckets = [
  ['60', 0.3],
  ['300', 0.55],
  ['900', 0.8],
  ['1800', 0.92],
  ['3600', 0.98],
  ['+Inf', 1],
];

/**
 * What GPU showback and wait estimates read: kube-state-metrics' GPU
 * requests, pod phases and node labels, and Kueue's admission wait
 * histogram of three ClusterQueues (recsys-cq 3, shared-pool-cq 2 and
 * nlp-cq 1 admissions an hour).
 */
function gpuAccountingSamples(t: number): Sample[] {
  const out: Sample[] = [];
  for (const p of DEMO_GPU_PODS) {
    if (p.runs && !p.runs(t)) continue;
    const pod = { cluster: p.cluster, namespace: p.namespace, pod: p.pod };
    out.push([
      'kube_pod_container_resource_requests',
      {
        ...pod,
        container: 'main',
        node: p.node,
        resource: p.resource,
        unit: 'integer',
      },
      p.gpus,
    ]);
    out.push(['kube_pod_status_phase', { ...pod, phase: 'Running' }, 1]);
  }
  for (const [cluster, node, product] of DEMO_GPU_NODES) {
    out.push([
      'kube_node_labels',
      { cluster, node, label_nvidia_com_gpu_product: product },
      1,
    ]);
  }
  for (const [cluster, cq, perHour] of [
    ['gpu-cluster-a', 'recsys-cq', 3],
    ['gpu-cluster-a', 'shared-pool-cq', 2],
    ['gpu-cluster-b', 'nlp-cq', 1],
  ] as const) {
    const labels = { cluster, cluster_queue: cq, priority_class: '' };
    const admitted = Math.floor((t * perHour) / 3600);
    for (const [le, share] of KUEUE_WAIT_BUCKETS) {
      out.push([
        'kueue_admission_wait_time_seconds_bucket',
        { ...labels, le },
        Math.floor(admitted * share),
      ]);
    }
    out.push(['kueue_admission_wait_time_seconds_count', labels, admitted]);
    out.push(['kueue_admission_wait_time_seconds_sum', labels, admitted * 420]);
  }
  return out;
}

/**
 * Kueue's ClusterQueue metrics of the demo queues, for the GPU quota
 * page's Queue history: GPU usage against nominal quota per flavor
 * (Kueue's optional ClusterQueue resource metrics), pending workloads,
 * admissions and preemptions. recsys-cq runs near its 16 GPUs with work
 * waiting and a preemption every 90 minutes; shared-pool-cq has room.
 */
function kueueQueueSamples(t: number): Sample[] {
  const queues = [
    {
      cluster: 'gpu-cluster-a',
      cohort: 'ml-shared',
      queue: 'recsys-cq',
      flavor: 'a100-80gb',
      nominal: 16,
      used: Math.min(16, Math.round(13 + wobble(t, 7200, 4))),
      pending: Math.max(0, Math.round(2 + wobble(t, 5400, 2))),
      admittedPerHour: 6,
      preemptionEvery: 5400,
    },
    {
      cluster: 'gpu-cluster-a',
      cohort: 'ml-shared',
      queue: 'shared-pool-cq',
      flavor: 'a100-80gb',
      nominal: 8,
      used: Math.round(4 + wobble(t, 10800, 2)),
      pending: 0,
      admittedPerHour: 2,
      preemptionEvery: 0,
    },
    {
      cluster: 'gpu-cluster-b',
      cohort: 'inference-pool',
      queue: 'nlp-cq',
      flavor: 'a100-80gb',
      nominal: 4,
      used: Math.round(3 + wobble(t, 3600, 1)),
      pending: Math.max(0, Math.round(wobble(t, 3600, 1.5))),
      admittedPerHour: 1,
      preemptionEvery: 0,
    },
  ];
  const out: Sample[] = [];
  for (const q of queues) {
    const cq = { cluster: q.cluster, cluster_queue: q.queue };
    const resource = {
      ...cq,
      cohort: q.cohort,
      flavor: q.flavor,
      resource: 'nvidia.com/gpu',
    };
    out.push(
      ['kueue_cluster_queue_resource_usage', resource, q.used],
      ['kueue_cluster_queue_nominal_quota', resource, q.nominal],
      ['kueue_pending_workloads', { ...cq, status: 'active' }, q.pending],
      ['kueue_pending_workloads', { ...cq, status: 'inadmissible' }, 0],
      [
        'kueue_admitted_workloads_total',
        cq,
        Math.floor((t * q.admittedPerHour) / 3600),
      ],
    );
    if (q.preemptionEvery) {
      out.push([
        'kueue_evicted_workloads_total',
        { ...cq, reason: 'Preempted' },
        Math.floor(t / q.preemptionEvery),
      ]);
    }
  }
  return out;
}

/**
 * Options of {@link demoMetricsBackfill}.
 *
 * @public
 */
export interface DemoMetricsBackfillOptions {
  /** End of the data, unix seconds; default now. Instant queries look back 5 minutes from it. */
  now?: number;
  /** Hours of history. Default 6. */
  hours?: number;
  /** Seconds between samples; at least 15. Default 30. */
  stepSeconds?: number;
}

/**
 * OpenMetrics text of the demo models' history, for
 * `promtool tsdb create-blocks-from openmetrics` or
 * `startPrometheus({ backfill })`.
 *
 * @public
 */
export function demoMetricsBackfill(
  options: DemoMetricsBackfillOptions = {},
): string {
  const now = Math.floor(options.now ?? Date.now() / 1000);
  const hours = options.hours ?? 6;
  const step = options.stepSeconds ?? 30;
  if (!(hours > 0 && hours <= 24 * 31)) {
    throw new RangeError(`hours must be in (0, 744], got ${hours}`);
  }
  if (!(step >= 15)) {
    throw new RangeError(`stepSeconds must be at least 15, got ${step}`);
  }
  const series = new Map<
    string,
    { name: string; labels: Record<string, string>; points: OpenMetricsPoint[] }
  >();
  for (
    let t = now - Math.floor((hours * 3600) / step) * step;
    t <= now;
    t += step
  ) {
    const samples = DEMO_MODELS.flatMap(m => samplesAt(m, t, now)).concat(
      bystanderSamples(t),
      gpuAccountingSamples(t),
      kueueQueueSamples(t),
      demoVolumeSamples(t),
    );
    for (const [name, labels, value] of samples) {
      const key = `${name}${JSON.stringify(labels)}`;
      let entry = series.get(key);
      if (!entry) {
        entry = { name, labels, points: [] };
        series.set(key, entry);
      }
      entry.points.push([t, value]);
    }
  }
  return [...series.values()]
    .map(s => openMetricsSeries(s.name, s.labels, s.points))
    .join('');
}

function escapeLabelValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n');
}

/**
 * Prometheus text exposition of the demo series at time `now`, continuing
 * a backfill made with the same `anchor` (its `now`), so a Prometheus that
 * scrapes {@link startDemoMetricsServer} keeps the demo live. `up` is left
 * out: Prometheus writes that itself.
 *
 * @public
 */
export function demoMetricsExposition(options: {
  anchor: number;
  now?: number;
}): string {
  const now = options.now ?? Date.now() / 1000;
  return DEMO_MODELS.flatMap(m => samplesAt(m, now, options.anchor))
    .concat(
      bystanderSamples(now),
      gpuAccountingSamples(now),
      kueueQueueSamples(now),
      demoVolumeSamples(now),
    )
    .filter(([name]) => name !== 'up')
    .map(([name, labels, value]) => {
      const text = Object.entries(labels)
        .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
        .join(',');
      return `${name}{${text}} ${value}\n`;
    })
    .join('');
}

/**
 * A running demo exporter.
 *
 * @public
 */
export interface DemoMetricsServer {
  url: string;
  /** `scrape_configs` for `startPrometheus({ scrapeConfigs })` or a prometheus.yml. */
  scrapeConfigs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/**
 * Serves {@link demoMetricsExposition} on 127.0.0.1 at `/metrics`.
 *
 * @public
 */
export async function startDemoMetricsServer(options: {
  anchor: number;
  port?: number;
}): Promise<DemoMetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(demoMetricsExposition({ anchor: options.anchor }));
  });
  await new Promise<void>(resolve =>
    server.listen(options.port ?? 0, '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    scrapeConfigs: [
      {
        job_name: 'model-servers',
        // The series carry their own job / instance / pod labels, the same
        // as the backfill, so live samples continue the backfilled series.
        honor_labels: true,
        scrape_interval: '15s',
        static_configs: [{ targets: [`127.0.0.1:${port}`] }],
      },
    ],
    stop: () =>
      new Promise<void>((resolve, reject) =>
        server.close(error => (error ? reject(error) : resolve())),
      ),
  };
}

/**
 * Options of {@link demoAlertRules}.
 *
 * @public
 */
export interface DemoAlertRulesOptions {
  /** Drift score above which `ModelDriftHigh` fires. Default 0.6. */
  driftThreshold?: number;
  /** The rule's `for`. Default `0m`, so it fires at its first evaluation. */
  for?: string;
  /** The group's evaluation interval, e.g. `5s`; default Prometheus' global one. */
  interval?: string;
}

/**
 * A Prometheus rule file (JSON, which is YAML) with `ModelDriftHigh`,
 * severity critical, labelled with each drifting model's `namespace` and
 * `model`, which is what the failing demo model's
 * `mlplatform.io/alert-selector` matches.
 *
 * @public
 */
export function demoAlertRules(options: DemoAlertRulesOptions = {}): string {
  const threshold = options.driftThreshold ?? 0.6;
  const group: Record<string, unknown> = {
    name: 'ml-models',
    rules: [
      {
        alert: 'ModelDriftHigh',
        expr: `max by (namespace, model) (model_drift_score) > ${threshold}`,
        for: options.for ?? '0m',
        labels: { severity: 'critical', team: 'ml-platform' },
        annotations: {
          summary: `Drift score of {{ $labels.model }} is {{ $value | printf "%.2f" }}, above ${threshold}`,
          description:
            'The input distribution moved away from the training data; retrain the model.',
        },
      },
    ],
  };
  if (options.interval) group.interval = options.interval;
  return `${JSON.stringify({ groups: [group] }, null, 2)}\n`;
}

/*
 * Command line for scripts/demo-stack.sh:
 *   node --require <cli>/config/nodeTransform.cjs demoMetrics.ts backfill [--hours 6] [--now S] > demo.om
 *   ... demoMetrics.ts rules > rules.yml
 *   ... demoMetrics.ts serve --anchor S [--port P]   (prints {"url": ...}, serves until killed)
 */
async function cli(argv: string[]) {
  const [command, ...rest] = argv;
  const flag = (name: string) => {
    const i = rest.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const value = Number(rest[i + 1]);
    if (!Number.isFinite(value)) {
      throw new Error(`--${name} needs a number, got ${rest[i + 1]}`);
    }
    return value;
  };
  if (command === 'backfill') {
    process.stdout.write(
      demoMetricsBackfill({ now: flag('now'), hours: flag('hours') }),
    );
  } else if (command === 'rules') {
    process.stdout.write(demoAlertRules());
  } else if (command === 'serve') {
    const anchor = flag('anchor');
    if (anchor === undefined) throw new Error('serve needs --anchor');
    const server = await startDemoMetricsServer({ anchor, port: flag('port') });
    process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  } else {
    throw new Error('usage: demoMetrics.ts backfill|rules|serve [options]');
  }
}

if (require.main === module) {
  cli(process.argv.slice(2)).catch(error => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  });
}
