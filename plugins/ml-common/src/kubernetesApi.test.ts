import {
  availableGpus,
  describeGpuShortfall,
  NamespaceGpuQuota,
} from './kubernetesApi';

const kueue: NamespaceGpuQuota = {
  cluster: 'gpu-cluster-b',
  namespace: 'nlp',
  source: 'kueue',
  name: 'nlp-cq',
  resources: [
    {
      resource: 'nvidia.com/gpu',
      flavor: 'h100',
      hard: 4,
      used: 4,
      free: 0,
      borrowable: 1,
    },
    {
      resource: 'nvidia.com/gpu',
      flavor: 'a100',
      hard: 4,
      used: 1,
      free: 3,
      borrowable: 2,
    },
    {
      resource: 'nvidia.com/mig-1g.10gb',
      flavor: 'a100-mig',
      hard: 14,
      used: 10,
      free: 4,
      borrowable: 2,
    },
  ],
  pending: [],
};

describe('availableGpus', () => {
  it('picks the flavor with the most room', () => {
    expect(availableGpus([kueue], 'nvidia.com/gpu')).toEqual({
      resource: 'nvidia.com/gpu',
      flavor: 'a100',
      free: 3,
      borrowable: 2,
      available: 5,
    });
  });

  it('honours an asked-for flavor', () => {
    expect(availableGpus([kueue], 'nvidia.com/gpu', 'h100')?.available).toBe(1);
    expect(availableGpus([kueue], 'nvidia.com/gpu', 'v100')).toBeUndefined();
  });

  it('is undefined when no quota names the resource', () => {
    expect(availableGpus([kueue], 'nvidia.com/mig-2g.20gb')).toBeUndefined();
    expect(availableGpus([], 'nvidia.com/gpu')).toBeUndefined();
  });
});

describe('describeGpuShortfall', () => {
  it('says the numbers', () => {
    expect(
      describeGpuShortfall({
        gpus: 6,
        resource: 'nvidia.com/gpu',
        namespace: 'nlp',
        cluster: 'gpu-cluster-b',
        availability: availableGpus([kueue], 'nvidia.com/gpu'),
      }),
    ).toBe(
      'asked for 6 nvidia.com/gpu in nlp on gpu-cluster-b; 3 free, 2 borrowable (flavor a100)',
    );
    expect(
      describeGpuShortfall({
        gpus: 1,
        resource: 'nvidia.com/gpu',
        namespace: 'fraud',
        cluster: 'gpu-cluster-a',
      }),
    ).toMatch(/no quota there provides nvidia.com\/gpu/);
  });
});
