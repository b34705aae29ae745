import {
  GpuQuotasResponse,
  NamespaceGpuQuota,
  Notebook,
} from '@mlplatform/plugin-ml-common';
import { MlApi, mlApiRef } from '../api';

/** "Now" for tests that show relative times. */
export const NOW = Date.parse('2026-11-23T12:00:00.000Z');

/** The fraud team's ResourceQuota on gpu-cluster-a (examples/ml/fraud.yaml). */
export const fraudQuota: NamespaceGpuQuota = {
  cluster: 'gpu-cluster-a',
  namespace: 'fraud',
  team: 'group:default/fraud-team',
  source: 'resourcequota',
  name: 'gpu-quota',
  resources: [
    { resource: 'nvidia.com/gpu', hard: 8, used: 5, free: 3, borrowable: 0 },
  ],
  pending: [
    {
      kind: 'Pod',
      name: 'fraud-train-xl-0',
      namespace: 'fraud',
      gpus: { 'nvidia.com/gpu': 4 },
      reason: 'FailedCreate',
      message:
        'exceeded quota: gpu-quota, requested: requests.nvidia.com/gpu=4, used: requests.nvidia.com/gpu=5, limited: requests.nvidia.com/gpu=8',
      since: '2026-11-23T11:48:00.000Z',
    },
  ],
};

/** The recommendations team's Kueue queue on gpu-cluster-a. */
export const recsysQuota: NamespaceGpuQuota = {
  cluster: 'gpu-cluster-a',
  namespace: 'recsys',
  team: 'group:default/recsys-team',
  source: 'kueue',
  name: 'recsys-cq',
  clusterQueue: 'recsys-cq',
  localQueue: 'recsys-lq',
  cohort: 'gpu-pool',
  resources: [
    {
      resource: 'nvidia.com/gpu',
      flavor: 'a100-80gb',
      hard: 16,
      used: 12,
      reserved: 14,
      free: 4,
      borrowable: 6,
      borrowingLimit: 8,
    },
  ],
  pending: [
    {
      kind: 'Workload',
      name: 'job-ranker-train-5f2c1',
      namespace: 'recsys',
      queue: 'recsys-lq',
      gpus: { 'nvidia.com/gpu': 8 },
      reason: 'QuotaReserved=False',
      message:
        "couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu in flavor a100-80gb, 2 more needed",
      since: '2026-11-23T09:00:00.000Z',
    },
  ],
};

/** The language team's Kueue queue on gpu-cluster-b, with MIG slices. */
export const nlpQuota: NamespaceGpuQuota = {
  cluster: 'gpu-cluster-b',
  namespace: 'nlp',
  team: 'group:default/nlp-team',
  source: 'kueue',
  name: 'nlp-cq',
  clusterQueue: 'nlp-cq',
  localQueue: 'nlp-lq',
  resources: [
    {
      resource: 'nvidia.com/gpu',
      flavor: 'h100',
      hard: 4,
      used: 4,
      free: 0,
      borrowable: 0,
    },
    {
      resource: 'nvidia.com/mig-1g.10gb',
      flavor: 'a100-mig',
      hard: 14,
      used: 9,
      free: 5,
      borrowable: 7,
      borrowingLimit: 7,
    },
  ],
  pending: [],
};

/** gpu-cluster-a answered, gpu-cluster-b did not. */
export const quotasWithClusterBDown: GpuQuotasResponse = {
  clusters: [
    {
      name: 'gpu-cluster-a',
      available: true,
      fetchedAt: '2026-11-23T11:59:30.000Z',
    },
    {
      name: 'gpu-cluster-b',
      available: false,
      error: 'connect ECONNREFUSED 127.0.0.1:6443',
    },
  ],
  quotas: [fraudQuota, recsysQuota],
};

/** Both clusters answered. */
export const allQuotas: GpuQuotasResponse = {
  clusters: [
    { name: 'gpu-cluster-a', available: true },
    { name: 'gpu-cluster-b', available: true },
  ],
  quotas: [fraudQuota, recsysQuota, nlpQuota],
};

/** A running notebook of guest in the fraud namespace. */
export const runningNotebook: Notebook = {
  name: 'fraud-eda',
  cluster: 'gpu-cluster-a',
  namespace: 'fraud',
  team: 'group:default/fraud-team',
  createdBy: 'user:default/guest',
  image: 'quay.io/jupyter/pytorch-notebook:2024-12-02',
  cpu: '4',
  memory: '16Gi',
  storage: '10Gi',
  gpus: 1,
  gpuResource: 'nvidia.com/gpu',
  backend: 'statefulset',
  phase: 'Running',
  url: 'https://notebooks.gpu-cluster-a.example.com/fraud/fraud-eda/lab',
  createdAt: '2026-11-20T12:00:00.000Z',
};

/** A stopped CPU-only notebook. */
export const stoppedNotebook: Notebook = {
  ...runningNotebook,
  name: 'feature-checks',
  image: 'quay.io/jupyter/minimal-notebook:2024-12-02',
  cpu: '2',
  memory: '8Gi',
  gpus: 0,
  phase: 'Stopped',
  url: undefined,
  createdAt: '2026-11-23T07:00:00.000Z',
};

/** A notebook waiting in a Kueue queue. */
export const pendingNotebook: Notebook = {
  ...runningNotebook,
  name: 'mig-sweep',
  cluster: 'gpu-cluster-b',
  namespace: 'nlp',
  team: 'group:default/nlp-team',
  gpus: 2,
  gpuResource: 'nvidia.com/mig-1g.10gb',
  flavor: 'a100-mig',
  queue: 'nlp-lq',
  phase: 'Pending',
  message: 'Workload waiting for quota in ClusterQueue nlp-cq',
  url: undefined,
  createdAt: '2026-11-23T11:48:00.000Z',
};

/** An ML API whose every method fails unless the test provides it. */
export function mockMlApi(impl: Partial<MlApi> = {}): MlApi {
  const missing = (name: string) =>
    jest.fn(async () => {
      throw new Error(`${name} not expected in this test`);
    });
  return {
    getHealth: missing('getHealth'),
    getOverview: missing('getOverview'),
    getQuotas: missing('getQuotas'),
    getWaitEstimate: missing('getWaitEstimate'),
    getGpuHours: missing('getGpuHours'),
    getGpuHoursCsv: missing('getGpuHoursCsv'),
    getQueueHistory: missing('getQueueHistory'),
    listNotebooks: missing('listNotebooks'),
    createNotebook: missing('createNotebook'),
    stopNotebook: missing('stopNotebook'),
    startNotebook: missing('startNotebook'),
    deleteNotebook: missing('deleteNotebook'),
    getModelHealth: missing('getModelHealth'),
    getDatasetFacts: missing('getDatasetFacts'),
    getModelVersions: missing('getModelVersions'),
    promoteModel: missing('promoteModel'),
    getPipelineRuns: missing('getPipelineRuns'),
    startPipelineRun: missing('startPipelineRun'),
    getModelAlertActions: missing('getModelAlertActions'),
    getAuditEvents: missing('getAuditEvents'),
    getExperimentRuns: missing('getExperimentRuns'),
    compareExperimentRuns: missing('compareExperimentRuns'),
    getRunTensorBoard: missing('getRunTensorBoard'),
    startRunTensorBoard: missing('startRunTensorBoard'),
    stopRunTensorBoard: missing('stopRunTensorBoard'),
    getLogPods: missing('getLogPods'),
    getPodLogs: missing('getPodLogs'),
    downloadPodLogs: missing('downloadPodLogs'),
    followPodLogs: () => {
      throw new Error('followPodLogs not expected in this test');
    },
    getLogStoreLines: missing('getLogStoreLines'),
    ...impl,
  };
}

/** `[mlApiRef, api]` for `renderInTestApp({ apis })`. */
export function mlApiPair(impl: Partial<MlApi> = {}) {
  return [mlApiRef, mockMlApi(impl)] as const;
}
