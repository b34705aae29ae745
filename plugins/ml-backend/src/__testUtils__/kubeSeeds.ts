/*
 * Seed objects for the integration tests: two clusters as a platform team
 * would set them up. gpu-cluster-a runs Kueue (a cohort of three
 * ClusterQueues) and Kubeflow; gpu-cluster-b has plain ResourceQuotas.
 */

export const ns = (
  name: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels, annotations },
});

export const gpuPod = (
  namespace: string,
  name: string,
  resources: Record<string, string>,
) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels: { app: name } },
  spec: {
    containers: [
      {
        name: 'main',
        image: 'registry.example.com/train:1',
        resources: { requests: { cpu: '1', ...resources }, limits: resources },
      },
    ],
  },
});

const flavorQuota = (
  flavor: string,
  resources: Array<{
    name: string;
    nominalQuota: number | string;
    borrowingLimit?: number | string;
    lendingLimit?: number | string;
  }>,
) => ({ name: flavor, resources });

// v1beta2 renamed spec.cohort to spec.cohortName.
function cohortField(version: string, cohort: string | undefined) {
  if (!cohort) return {};
  return version === 'v1beta2' ? { cohortName: cohort } : { cohort };
}

export function clusterQueue(
  version: 'v1beta1' | 'v1beta2',
  name: string,
  cohort: string | undefined,
  flavors: ReturnType<typeof flavorQuota>[],
  usage: Array<{
    flavor: string;
    resource: string;
    total: number;
    borrowed?: number;
  }>,
) {
  const covered = [
    ...new Set(flavors.flatMap(f => f.resources.map(r => r.name))),
  ];
  const byFlavor = [...new Set(usage.map(u => u.flavor))].map(flavor => ({
    name: flavor,
    resources: usage
      .filter(u => u.flavor === flavor)
      .map(u => ({
        name: u.resource,
        total: String(u.total),
        borrowed: String(u.borrowed ?? 0),
      })),
  }));
  return {
    apiVersion: `kueue.x-k8s.io/${version}`,
    kind: 'ClusterQueue',
    metadata: { name },
    spec: {
      namespaceSelector: {},
      ...cohortField(version, cohort),
      resourceGroups: [{ coveredResources: covered, flavors }],
    },
    status: {
      flavorsUsage: byFlavor,
      flavorsReservation: byFlavor,
      pendingWorkloads: 0,
      reservingWorkloads: 0,
      admittedWorkloads: 0,
    },
  };
}

export const localQueue = (
  version: string,
  namespace: string,
  name: string,
  cq: string,
) => ({
  apiVersion: `kueue.x-k8s.io/${version}`,
  kind: 'LocalQueue',
  metadata: { name, namespace },
  spec: { clusterQueue: cq },
});

export const PENDING_MESSAGE =
  "couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu in flavor a100-80gb, 4 more needed";

export const workload = (
  version: string,
  namespace: string,
  name: string,
  queue: string,
  options: { count: number; gpus: number; admitted: boolean },
) => ({
  apiVersion: `kueue.x-k8s.io/${version}`,
  kind: 'Workload',
  metadata: { name, namespace },
  spec: {
    queueName: queue,
    podSets: [
      {
        name: 'main',
        count: options.count,
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [
              {
                name: 'main',
                image: 'registry.example.com/train:1',
                resources: {
                  requests: {
                    cpu: '2',
                    'nvidia.com/gpu': String(options.gpus),
                  },
                  limits: { 'nvidia.com/gpu': String(options.gpus) },
                },
              },
            ],
          },
        },
      },
    ],
  },
  status: {
    conditions: options.admitted
      ? [
          {
            type: 'QuotaReserved',
            status: 'True',
            reason: 'QuotaReserved',
            message: 'Quota reserved in ClusterQueue',
            lastTransitionTime: '2026-11-23T08:00:00Z',
          },
          {
            type: 'Admitted',
            status: 'True',
            reason: 'Admitted',
            message: 'The workload is admitted',
            lastTransitionTime: '2026-11-23T08:00:00Z',
          },
        ]
      : [
          {
            type: 'QuotaReserved',
            status: 'False',
            reason: 'Pending',
            message: PENDING_MESSAGE,
            lastTransitionTime: '2026-11-23T09:00:00Z',
          },
        ],
  },
});

/**
 * gpu-cluster-a: Kueue cohort "research" with fraud-cq (nominal 8, fully
 * used, borrowing limit 4), nlp-cq (nominal 16, 10 used, lending limit 10)
 * and recsys-cq (nominal 4, 1 used); nlp also has a MIG ResourceQuota.
 */
export function clusterASeed(version: 'v1beta1' | 'v1beta2' = 'v1beta2') {
  return [
    ns('fraud', { 'mlplatform.io/team': 'fraud-team' }),
    ns('nlp', {}, { 'mlplatform.io/owner': 'group:default/nlp-team' }),
    ns('recsys', { 'mlplatform.io/team': 'recsys-team' }),
    {
      apiVersion: `kueue.x-k8s.io/${version}`,
      kind: 'ResourceFlavor',
      metadata: { name: 'a100-80gb' },
      spec: { nodeLabels: { 'nvidia.com/gpu.product': 'A100-SXM4-80GB' } },
    },
    clusterQueue(
      version,
      'fraud-cq',
      'research',
      [
        flavorQuota('a100-80gb', [
          { name: 'cpu', nominalQuota: 64 },
          { name: 'nvidia.com/gpu', nominalQuota: 8, borrowingLimit: 4 },
        ]),
      ],
      [
        { flavor: 'a100-80gb', resource: 'cpu', total: 16 },
        { flavor: 'a100-80gb', resource: 'nvidia.com/gpu', total: 8 },
      ],
    ),
    clusterQueue(
      version,
      'nlp-cq',
      'research',
      [
        flavorQuota('a100-80gb', [
          { name: 'cpu', nominalQuota: 128 },
          { name: 'nvidia.com/gpu', nominalQuota: 16, lendingLimit: 10 },
        ]),
      ],
      [{ flavor: 'a100-80gb', resource: 'nvidia.com/gpu', total: 10 }],
    ),
    clusterQueue(
      version,
      'recsys-cq',
      'research',
      [
        flavorQuota('a100-80gb', [
          { name: 'cpu', nominalQuota: 32 },
          { name: 'nvidia.com/gpu', nominalQuota: 4 },
        ]),
      ],
      [{ flavor: 'a100-80gb', resource: 'nvidia.com/gpu', total: 1 }],
    ),
    localQueue(version, 'fraud', 'fraud-queue', 'fraud-cq'),
    localQueue(version, 'nlp', 'nlp-queue', 'nlp-cq'),
    localQueue(version, 'recsys', 'recsys-queue', 'recsys-cq'),
    workload(version, 'fraud', 'job-train-big', 'fraud-queue', {
      count: 2,
      gpus: 2,
      admitted: false,
    }),
    workload(version, 'fraud', 'job-train-small', 'fraud-queue', {
      count: 1,
      gpus: 8,
      admitted: true,
    }),
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'mig', namespace: 'nlp' },
      spec: {
        hard: {
          'requests.nvidia.com/mig-1g.10gb': '14',
          'limits.nvidia.com/mig-1g.10gb': '12',
        },
      },
    },
    gpuPod('nlp', 'mig-a', { 'nvidia.com/mig-1g.10gb': '2' }),
    gpuPod('nlp', 'mig-b', { 'nvidia.com/mig-1g.10gb': '1' }),
  ];
}

/** gpu-cluster-b: no CRDs; fraud has 8 GPUs, 6 used by two pods; ml-sandbox has no team. */
export function clusterBSeed() {
  return [
    ns('fraud', { 'mlplatform.io/team': 'fraud-team' }),
    ns('ml-sandbox'),
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'gpu-quota', namespace: 'fraud' },
      spec: { hard: { 'requests.nvidia.com/gpu': '8', 'requests.cpu': '64' } },
    },
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'gpu-quota', namespace: 'ml-sandbox' },
      spec: { hard: { 'requests.nvidia.com/gpu': '2' } },
    },
    gpuPod('fraud', 'train-1', { 'nvidia.com/gpu': '4' }),
    gpuPod('fraud', 'train-2', { 'nvidia.com/gpu': '2' }),
  ];
}
