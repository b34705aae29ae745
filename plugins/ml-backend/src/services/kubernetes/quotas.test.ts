import {
  computeClusterQuotas,
  namespaceTeam,
  pendingPodsFromEvents,
  resourceQuotaGpus,
} from './quotas';

const ns = (
  name: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels, annotations },
});

// v1beta2 renamed spec.cohort to spec.cohortName.
function cohortField(version: string, cohort: string | undefined) {
  if (!cohort) return {};
  return version === 'v1beta2' ? { cohortName: cohort } : { cohort };
}

function clusterQueue(
  name: string,
  cohort: string | undefined,
  resources: Array<{
    flavor: string;
    name: string;
    nominal: any;
    borrowingLimit?: any;
    lendingLimit?: any;
  }>,
  usage: Array<{ flavor: string; name: string; total: any; borrowed?: any }>,
  version: 'v1beta1' | 'v1beta2' = 'v1beta2',
) {
  const flavors = [...new Set(resources.map(r => r.flavor))].map(f => ({
    name: f,
    resources: resources
      .filter(r => r.flavor === f)
      .map(r => ({
        name: r.name,
        nominalQuota: r.nominal,
        ...(r.borrowingLimit !== undefined
          ? { borrowingLimit: r.borrowingLimit }
          : {}),
        ...(r.lendingLimit !== undefined
          ? { lendingLimit: r.lendingLimit }
          : {}),
      })),
  }));
  const status = [...new Set(usage.map(u => u.flavor))].map(f => ({
    name: f,
    resources: usage
      .filter(u => u.flavor === f)
      .map(u => ({
        name: u.name,
        total: u.total,
        borrowed: u.borrowed ?? '0',
      })),
  }));
  return {
    apiVersion: `kueue.x-k8s.io/${version}`,
    kind: 'ClusterQueue',
    metadata: { name },
    spec: {
      ...cohortField(version, cohort),
      resourceGroups: [
        {
          coveredResources: [...new Set(resources.map(r => r.name)), 'cpu'],
          flavors,
        },
      ],
    },
    status: { flavorsUsage: status, flavorsReservation: status },
  };
}

describe('resourceQuotaGpus', () => {
  it('takes the tightest of requests, limits and bare keys per device resource', () => {
    expect(
      resourceQuotaGpus({
        spec: {
          hard: {
            'requests.nvidia.com/gpu': '8',
            'limits.nvidia.com/gpu': '6',
            'nvidia.com/mig-1g.10gb': 14,
            'requests.cpu': '64',
          },
        },
        status: {
          used: {
            'requests.nvidia.com/gpu': '5',
            'limits.nvidia.com/gpu': '5',
            'nvidia.com/mig-1g.10gb': '3',
          },
        },
      }),
    ).toEqual([
      { resource: 'nvidia.com/gpu', hard: 6, used: 5, free: 1, borrowable: 0 },
      {
        resource: 'nvidia.com/mig-1g.10gb',
        hard: 14,
        used: 3,
        free: 11,
        borrowable: 0,
      },
    ]);
  });

  it('never reports negative free GPUs and ignores non-GPU quotas', () => {
    expect(
      resourceQuotaGpus({
        spec: { hard: { 'requests.nvidia.com/gpu': '2' } },
        status: { used: { 'requests.nvidia.com/gpu': '3' } },
      }),
    ).toEqual([
      { resource: 'nvidia.com/gpu', hard: 2, used: 3, free: 0, borrowable: 0 },
    ]);
    expect(resourceQuotaGpus({ spec: { hard: { pods: '10' } } })).toEqual([]);
  });
});

describe('namespaceTeam', () => {
  it('reads the label, then the owner annotation, as a group ref', () => {
    expect(
      namespaceTeam(
        ns('a', { 'mlplatform.io/team': 'fraud-team' }),
        'mlplatform.io/team',
      ),
    ).toBe('group:default/fraud-team');
    expect(
      namespaceTeam(
        ns('a', {}, { 'mlplatform.io/owner': 'group:platform/ml-infra' }),
        'mlplatform.io/team',
      ),
    ).toBe('group:platform/ml-infra');
    expect(
      namespaceTeam(ns('a', { team: 'x' }), 'mlplatform.io/team'),
    ).toBeUndefined();
    expect(namespaceTeam(ns('a', { team: 'x' }), 'team')).toBe(
      'group:default/x',
    );
  });
});

describe('pendingPodsFromEvents', () => {
  it('turns quota FailedCreate and GPU FailedScheduling events into pending pods', () => {
    const pending = pendingPodsFromEvents([
      {
        reason: 'FailedCreate',
        type: 'Warning',
        involvedObject: { kind: 'StatefulSet', namespace: 'fraud', name: 'nb' },
        metadata: { namespace: 'fraud', name: 'nb.1' },
        firstTimestamp: '2026-11-23T10:00:00Z',
        lastTimestamp: '2026-11-23T10:05:00Z',
        message:
          'create Pod nb-0 in StatefulSet nb failed error: pods "nb-0" is forbidden: exceeded quota: gpu-quota, requested: requests.nvidia.com/gpu=4, used: requests.nvidia.com/gpu=6, limited: requests.nvidia.com/gpu=8',
      },
      {
        reason: 'FailedScheduling',
        type: 'Warning',
        involvedObject: { kind: 'Pod', namespace: 'nlp', name: 'train-0' },
        metadata: { namespace: 'nlp', name: 'train-0.1' },
        message: '0/4 nodes are available: 4 Insufficient nvidia.com/gpu.',
      },
      {
        reason: 'FailedScheduling',
        involvedObject: { kind: 'Pod', namespace: 'nlp', name: 'cpu-only' },
        message: '0/4 nodes are available: 4 Insufficient cpu.',
      },
      {
        reason: 'BackOff',
        involvedObject: { kind: 'Pod', name: 'x' },
        message: 'nvidia.com/gpu',
      },
    ]);
    expect(pending).toEqual([
      {
        kind: 'Pod',
        name: 'nb-0',
        namespace: 'fraud',
        gpus: { 'nvidia.com/gpu': 4 },
        reason: 'FailedCreate',
        message: expect.stringContaining('exceeded quota: gpu-quota'),
        quota: 'gpu-quota',
        since: '2026-11-23T10:00:00Z',
      },
      {
        kind: 'Pod',
        name: 'train-0',
        namespace: 'nlp',
        gpus: {},
        reason: 'FailedScheduling',
        message: '0/4 nodes are available: 4 Insufficient nvidia.com/gpu.',
      },
    ]);
  });
});

describe('computeClusterQuotas', () => {
  const kueue = (version: 'v1beta1' | 'v1beta2') => ({
    version,
    clusterQueues: [
      clusterQueue(
        'fraud-cq',
        'research',
        [
          {
            flavor: 'a100-80gb',
            name: 'nvidia.com/gpu',
            nominal: 8,
            borrowingLimit: '4',
          },
          { flavor: 'a100-80gb', name: 'nvidia.com/mig-1g.10gb', nominal: '7' },
        ],
        [
          { flavor: 'a100-80gb', name: 'nvidia.com/gpu', total: '8' },
          { flavor: 'a100-80gb', name: 'nvidia.com/mig-1g.10gb', total: '2' },
        ],
        version,
      ),
      clusterQueue(
        'nlp-cq',
        'research',
        [
          {
            flavor: 'a100-80gb',
            name: 'nvidia.com/gpu',
            nominal: 16,
            lendingLimit: 10,
          },
        ],
        [{ flavor: 'a100-80gb', name: 'nvidia.com/gpu', total: '10' }],
        version,
      ),
      clusterQueue(
        'recsys-cq',
        'research',
        [{ flavor: 'a100-80gb', name: 'nvidia.com/gpu', nominal: 4 }],
        [{ flavor: 'a100-80gb', name: 'nvidia.com/gpu', total: '1' }],
        version,
      ),
      clusterQueue(
        'lonely-cq',
        undefined,
        [{ flavor: 't4', name: 'nvidia.com/gpu', nominal: 2 }],
        [],
        version,
      ),
    ],
    localQueues: [
      {
        metadata: { name: 'fraud-queue', namespace: 'fraud' },
        spec: { clusterQueue: 'fraud-cq' },
      },
      {
        metadata: { name: 'lonely', namespace: 'misc' },
        spec: { clusterQueue: 'lonely-cq' },
      },
      {
        metadata: { name: 'gone', namespace: 'misc' },
        spec: { clusterQueue: 'no-such-cq' },
      },
    ],
    resourceFlavors: [],
    cohorts: [],
    workloads: [
      {
        metadata: {
          name: 'job-big',
          namespace: 'fraud',
          creationTimestamp: '2026-11-23T09:00:00Z',
        },
        spec: {
          queueName: 'fraud-queue',
          podSets: [
            {
              name: 'main',
              count: 2,
              template: {
                spec: {
                  containers: [
                    {
                      name: 'c',
                      resources: {
                        requests: { 'nvidia.com/gpu': '2', cpu: '4' },
                      },
                    },
                  ],
                },
              },
            },
          ],
        },
        status: {
          conditions: [
            {
              type: 'QuotaReserved',
              status: 'False',
              reason: 'Pending',
              lastTransitionTime: '2026-11-23T09:00:01Z',
              message:
                "couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu in flavor a100-80gb, 4 more needed",
            },
          ],
        },
      },
      {
        metadata: { name: 'job-running', namespace: 'fraud' },
        spec: { queueName: 'fraud-queue', podSets: [] },
        status: { conditions: [{ type: 'Admitted', status: 'True' }] },
      },
    ],
  });

  it.each(['v1beta2', 'v1beta1'] as const)(
    'computes Kueue quotas, cohort borrowing and pending workloads (%s)',
    version => {
      const quotas = computeClusterQuotas(
        'gpu-a',
        {
          namespaces: [
            ns('fraud', { 'mlplatform.io/team': 'fraud-team' }),
            ns('misc'),
          ],
          resourceQuotas: [],
          events: [],
          kueue: kueue(version),
        },
        'mlplatform.io/team',
      );
      expect(quotas).toHaveLength(2);
      const [fraud, misc] = quotas;
      expect(fraud).toMatchObject({
        cluster: 'gpu-a',
        namespace: 'fraud',
        team: 'group:default/fraud-team',
        source: 'kueue',
        name: 'fraud-cq',
        clusterQueue: 'fraud-cq',
        localQueue: 'fraud-queue',
        cohort: 'research',
      });
      // nlp lends min(10, 16-10)=6, recsys 4-1=3: pool 9, capped by fraud's borrowingLimit 4.
      expect(fraud.resources).toEqual([
        {
          resource: 'nvidia.com/gpu',
          flavor: 'a100-80gb',
          hard: 8,
          used: 8,
          reserved: 8,
          free: 0,
          borrowable: 4,
          borrowingLimit: 4,
        },
        // Nobody else in the cohort has MIG quota to lend.
        {
          resource: 'nvidia.com/mig-1g.10gb',
          flavor: 'a100-80gb',
          hard: 7,
          used: 2,
          reserved: 2,
          free: 5,
          borrowable: 0,
        },
      ]);
      expect(fraud.pending).toEqual([
        {
          kind: 'Workload',
          name: 'job-big',
          namespace: 'fraud',
          queue: 'fraud-queue',
          gpus: { 'nvidia.com/gpu': 4 },
          reason: 'QuotaReserved=False',
          message:
            "couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu in flavor a100-80gb, 4 more needed",
          since: '2026-11-23T09:00:01Z',
          kueueReason: 'Pending',
        },
      ]);
      expect(misc).toMatchObject({
        namespace: 'misc',
        clusterQueue: 'lonely-cq',
        pending: [],
      });
      expect(misc.team).toBeUndefined();
      expect(misc.resources[0]).toMatchObject({
        hard: 2,
        used: 0,
        free: 2,
        borrowable: 0,
      });
    },
  );

  it('subtracts what cohort members already borrowed from the pool', () => {
    const k = kueue('v1beta2');
    // recsys already borrows 5 beyond its nominal 4: the pool (nlp 6) has 1 left.
    k.clusterQueues[2] = clusterQueue(
      'recsys-cq',
      'research',
      [{ flavor: 'a100-80gb', name: 'nvidia.com/gpu', nominal: 4 }],
      [
        {
          flavor: 'a100-80gb',
          name: 'nvidia.com/gpu',
          total: '9',
          borrowed: '5',
        },
      ],
    );
    const [fraud] = computeClusterQuotas(
      'gpu-a',
      { namespaces: [ns('fraud')], resourceQuotas: [], events: [], kueue: k },
      'mlplatform.io/team',
    );
    expect(fraud.resources[0].borrowable).toBe(1);
  });

  it('attaches quota-denied pods to the ResourceQuota named in the event', () => {
    const quotas = computeClusterQuotas(
      'gpu-b',
      {
        namespaces: [ns('fraud', { 'mlplatform.io/team': 'fraud-team' })],
        resourceQuotas: [
          {
            metadata: { name: 'gpu-quota', namespace: 'fraud' },
            spec: { hard: { 'requests.nvidia.com/gpu': '8' } },
            status: { used: { 'requests.nvidia.com/gpu': '6' } },
          },
          {
            metadata: { name: 'compute', namespace: 'fraud' },
            spec: { hard: { 'requests.cpu': '8' } },
          },
        ],
        events: [
          {
            reason: 'FailedCreate',
            involvedObject: {
              kind: 'StatefulSet',
              namespace: 'fraud',
              name: 'nb',
            },
            message:
              'pods "nb-0" is forbidden: exceeded quota: gpu-quota, requested: requests.nvidia.com/gpu=4, used: requests.nvidia.com/gpu=6, limited: requests.nvidia.com/gpu=8',
          },
        ],
      },
      'mlplatform.io/team',
    );
    expect(quotas).toEqual([
      {
        cluster: 'gpu-b',
        namespace: 'fraud',
        team: 'group:default/fraud-team',
        source: 'resourcequota',
        name: 'gpu-quota',
        resources: [
          {
            resource: 'nvidia.com/gpu',
            hard: 8,
            used: 6,
            free: 2,
            borrowable: 0,
          },
        ],
        pending: [
          expect.objectContaining({
            kind: 'Pod',
            name: 'nb-0',
            gpus: { 'nvidia.com/gpu': 4 },
          }),
        ],
      },
    ]);
  });
});
