import { NamespaceGpuQuota } from '@mlplatform/plugin-ml-common';
import { explainPendingWorkloads } from './explainPending';

const rq = (
  pending: NamespaceGpuQuota['pending'],
  resources = [
    { resource: 'nvidia.com/gpu', hard: 4, used: 3, free: 1, borrowable: 0 },
  ],
): NamespaceGpuQuota => ({
  cluster: 'b',
  namespace: 'fraud',
  team: 'group:default/fraud-team',
  source: 'resourcequota',
  name: 'gpu-quota',
  resources,
  pending,
});

const quotaDenied = {
  kind: 'Pod' as const,
  name: 'train-x7k2p',
  namespace: 'fraud',
  gpus: { 'nvidia.com/gpu': 4 },
  reason: 'FailedCreate',
  message:
    'pods "train-x7k2p" is forbidden: exceeded quota: gpu-quota, requested: requests.nvidia.com/gpu=4, used: requests.nvidia.com/gpu=3, limited: requests.nvidia.com/gpu=4',
};

describe('explainPendingWorkloads', () => {
  it('explains a pod a ResourceQuota refused, with the event message', () => {
    const [e] = explainPendingWorkloads('b', [rq([quotaDenied])]);
    expect(e).toEqual({
      kind: 'Pod',
      name: 'train-x7k2p',
      namespace: 'fraud',
      cluster: 'b',
      quota: { source: 'resourcequota', name: 'gpu-quota' },
      reason: 'FailedCreate',
      message: quotaDenied.message,
      requested: { 'nvidia.com/gpu': 4 },
      resources: [
        {
          resource: 'nvidia.com/gpu',
          requested: 4,
          free: 1,
          borrowable: 0,
          quota: [
            {
              resource: 'nvidia.com/gpu',
              hard: 4,
              used: 3,
              free: 1,
              borrowable: 0,
            },
          ],
        },
      ],
      plainReason:
        'Refused: the namespace quota gpu-quota allows 4 GPUs, 3 are in use and this asks for 4',
      explanation:
        'train-x7k2p asks for 4 nvidia.com/gpu; ResourceQuota gpu-quota in fraud has 1 nvidia.com/gpu free and cannot borrow, so it waits until 3 more nvidia.com/gpu are released.',
    });
  });

  it('says when the quota lacks the resource, and when no GPUs are asked for', () => {
    const mig = {
      ...quotaDenied,
      name: 'mig-job',
      gpus: { 'nvidia.com/mig-1g.10gb': 2 },
    };
    const cpu = {
      kind: 'Workload' as const,
      name: 'etl',
      namespace: 'fraud',
      queue: 'q',
      gpus: {},
      reason: 'QuotaReserved=False',
      message:
        'insufficient unused quota for cpu in flavor default, 2 more needed',
    };
    const [a, b] = explainPendingWorkloads('b', [rq([mig, cpu])]);
    expect(a.resources[0]).toMatchObject({ free: 0, borrowable: 0, quota: [] });
    expect(a.explanation).toBe(
      'mig-job asks for 2 nvidia.com/mig-1g.10gb, but ResourceQuota gpu-quota in fraud provides no nvidia.com/mig-1g.10gb, so it cannot run there until the quota covers nvidia.com/mig-1g.10gb.',
    );
    expect(b.explanation).toBe(
      'etl asks for no GPUs, so GPU quota is not why it waits; QuotaReserved=False: insufficient unused quota for cpu in flavor default, 2 more needed.',
    );
  });

  it('picks the roomiest Kueue flavor, names the cohort, and says when it fits', () => {
    const kueue: NamespaceGpuQuota = {
      cluster: 'a',
      namespace: 'nlp',
      source: 'kueue',
      name: 'nlp-cq',
      clusterQueue: 'nlp-cq',
      localQueue: 'nlp-queue',
      cohort: 'research',
      resources: [
        {
          resource: 'nvidia.com/gpu',
          flavor: 'a100-80gb',
          hard: 4,
          used: 4,
          free: 0,
          borrowable: 1,
        },
        {
          resource: 'nvidia.com/gpu',
          flavor: 'h100',
          hard: 4,
          used: 2,
          free: 2,
          borrowable: 1,
        },
      ],
      pending: [
        {
          kind: 'Workload',
          name: 'big',
          namespace: 'nlp',
          queue: 'nlp-queue',
          gpus: { 'nvidia.com/gpu': 4 },
          reason: 'QuotaReserved=False',
          message: 'insufficient unused quota',
        },
        {
          kind: 'Workload',
          name: 'small',
          namespace: 'nlp',
          queue: 'nlp-queue',
          gpus: { 'nvidia.com/gpu': 2 },
          reason: 'QuotaReserved=False',
          message: 'Workload not yet evaluated',
        },
      ],
    };
    const [big, small] = explainPendingWorkloads('a', [kueue]);
    expect(big.explanation).toBe(
      'big asks for 4 nvidia.com/gpu; the nlp-cq ClusterQueue has 2 nvidia.com/gpu free (flavor h100) and can borrow 1 from cohort research, so it waits until 1 more nvidia.com/gpu is released.',
    );
    expect(small.explanation).toBe(
      'small asks for 2 nvidia.com/gpu; the nlp-cq ClusterQueue has 2 nvidia.com/gpu free (flavor h100) and can borrow 1 from cohort research, so it fits now and should be admitted on the next attempt (QuotaReserved=False: Workload not yet evaluated).',
    );
    expect(explainPendingWorkloads('a', [kueue], 'small')).toEqual([small]);
    expect(
      explainPendingWorkloads('a', [{ ...kueue, cohort: undefined }])[0]
        .explanation,
    ).toBe(
      'big asks for 4 nvidia.com/gpu; the nlp-cq ClusterQueue has 2 nvidia.com/gpu free (flavor h100) and is in no cohort to borrow from, so it waits until 1 more nvidia.com/gpu is released.',
    );

    // with Kueue's visibility API: the place in line and the plain reason
    const placed = {
      ...kueue,
      pending: [
        {
          ...kueue.pending[0],
          kueueReason: 'Pending',
          message:
            "couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu in flavor h100, 1 more needed",
          positionInClusterQueue: 3,
          positionInLocalQueue: 1,
        },
      ],
    };
    const [withPosition] = explainPendingWorkloads('a', [placed]);
    expect(withPosition).toMatchObject({
      kueueReason: 'Pending',
      positionInClusterQueue: 3,
      positionInLocalQueue: 1,
      plainReason:
        "Waiting: the team's queue needs 1 more H100 GPU than are free; 3 workloads are ahead of it (1 from its own team's queue)",
    });
    expect(withPosition.explanation).toMatch(
      / 3 workloads are ahead of it in nlp-cq\.$/,
    );
  });
});
