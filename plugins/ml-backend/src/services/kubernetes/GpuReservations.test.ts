import { NamespaceGpuQuota } from '@mlplatform/plugin-ml-common';
import { GpuReservation } from '../../database/GpuReservationStore';
import { withReservations } from './GpuReservations';

const kueue = (
  namespace: string,
  free: number,
  borrowable: number,
): NamespaceGpuQuota => ({
  cluster: 'gpu-a',
  namespace,
  source: 'kueue',
  name: `${namespace}-cq`,
  cohort: 'research',
  resources: [
    {
      resource: 'nvidia.com/gpu',
      flavor: 'a100',
      hard: 8,
      used: 8 - free,
      free,
      borrowable,
    },
  ],
  pending: [],
});

const held = (
  namespace: string,
  gpus: number,
  extra: Partial<GpuReservation> = {},
): GpuReservation => ({
  id: 1,
  cluster: 'gpu-a',
  namespace,
  resource: 'nvidia.com/gpu',
  flavor: 'a100',
  gpus,
  holder: { kind: 'notebook', name: 'nb' },
  state: 'applying',
  expiresAt: Date.now() + 60_000,
  ...extra,
});

const figures = (quotas: NamespaceGpuQuota[], namespace: string) => {
  const { used, free, borrowable, promised } = quotas.find(
    q => q.namespace === namespace,
  )!.resources[0];
  return { used, free, borrowable, promised };
};

describe('withReservations', () => {
  const quotas = [kueue('fraud', 2, 4), kueue('nlp', 6, 2)];

  it('takes promised GPUs from free first, then from borrowable', () => {
    expect(
      figures(withReservations(quotas, [held('fraud', 1)]), 'fraud'),
    ).toEqual({
      used: 6,
      free: 1,
      borrowable: 4,
      promised: 1,
    });
    expect(
      figures(withReservations(quotas, [held('fraud', 5)]), 'fraud'),
    ).toEqual({
      used: 6,
      free: 0,
      borrowable: 1,
      promised: 5,
    });
  });

  it('lowers what the rest of the cohort may borrow', () => {
    expect(
      figures(withReservations(quotas, [held('nlp', 1)]), 'fraud'),
    ).toEqual({
      used: 6,
      free: 2,
      borrowable: 3,
    });
  });

  it('leaves other resources, flavors, clusters and cohorts alone', () => {
    const other = [
      held('fraud', 1, { flavor: 'h100' }),
      held('fraud', 1, {
        resource: 'nvidia.com/mig-1g.10gb',
        flavor: undefined,
      }),
      held('fraud', 1, { cluster: 'gpu-b' }),
    ];
    expect(withReservations(quotas, other)).toEqual(quotas);
    const alone = [{ ...kueue('recsys', 3, 0), cohort: undefined }];
    expect(withReservations(alone, [held('fraud', 2)])).toEqual(alone);
  });
});
