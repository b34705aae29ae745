import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { GpuGauge, gaugeSegments } from './GpuGauge';

describe('GpuGauge', () => {
  // ResourceQuota: 8 hard, 5 used by pods, 2 promised to notebooks being
  // created (the backend already took them from free).
  const resource = {
    resource: 'nvidia.com/gpu',
    hard: 8,
    used: 5,
    free: 1,
    borrowable: 0,
    promised: 2,
  };

  it('shows GPUs promised to creations in flight between used and free', async () => {
    await renderInTestApp(<GpuGauge resource={resource} />);
    expect(
      screen.getByRole('img', {
        name: 'nvidia.com/gpu: 5 / 8 used · 2 being created · 1 free · 0 borrowable',
      }),
    ).toBeInTheDocument();
    expect(gaugeSegments(resource)).toEqual({
      used: 5,
      borrowed: 0,
      reserved: 0,
      promised: 2,
      free: 1,
      borrowable: 0,
      scale: 8,
    });
  });

  it('says nothing of promises when there are none', async () => {
    const { promised, ...none } = resource;
    await renderInTestApp(<GpuGauge resource={{ ...none, free: 3 }} />);
    expect(
      screen.getByRole('img', {
        name: 'nvidia.com/gpu: 5 / 8 used · 3 free · 0 borrowable',
      }),
    ).toBeInTheDocument();
    expect(promised).toBe(2);
  });
});
