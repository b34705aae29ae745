import { renderInTestApp } from '@backstage/frontend-test-utils';
import { MlHealthResponse } from '@mlplatform/plugin-ml-common';
import { screen } from '@testing-library/react';
import { MlApi, mlApiRef } from '../../api';
import { IntegrationsCard } from './IntegrationsCard';

const health: MlHealthResponse = {
  version: '0.1.0',
  checkedAt: '2026-11-23T10:00:00.000Z',
  integrations: [
    {
      id: 'kubernetes',
      title: 'Kubernetes',
      configKey: 'ml.kubernetes.clusters',
      state: 'degraded',
      targets: [
        {
          name: 'gpu-cluster-a',
          host: 'k8s-a:6443',
          reachable: true,
          latencyMs: 12,
        },
        {
          name: 'gpu-cluster-b',
          host: 'k8s-b:6443',
          reachable: false,
          error: 'ECONNREFUSED',
        },
      ],
    },
    {
      id: 'registry',
      title: 'Model registry',
      configKey: 'ml.registries',
      state: 'not-configured',
      targets: [],
    },
    {
      id: 'prometheus',
      title: 'Prometheus',
      configKey: 'ml.prometheus',
      state: 'ok',
      targets: [
        {
          name: 'prometheus',
          host: 'prom:9090',
          reachable: true,
          latencyMs: 3,
        },
      ],
    },
    {
      id: 'alertmanager',
      title: 'Alertmanager',
      configKey: 'ml.alertmanager',
      state: 'unreachable',
      targets: [
        {
          name: 'alertmanager',
          host: 'am:9093',
          reachable: false,
          error: 'HTTP 503',
        },
      ],
    },
  ],
};

function api(impl: Partial<MlApi>): [typeof mlApiRef, MlApi] {
  return [mlApiRef, { getHealth: jest.fn(), ...impl } as MlApi];
}

describe('IntegrationsCard', () => {
  it('shows each integration with its state, endpoints and what to configure', async () => {
    await renderInTestApp(<IntegrationsCard />, {
      apis: [api({ getHealth: async () => health })],
    });

    expect(await screen.findByText('Partly reachable')).toBeInTheDocument();
    expect(screen.getByText('Connected')).toBeInTheDocument();
    expect(screen.getByText('Unreachable')).toBeInTheDocument();
    expect(screen.getByText('Not configured')).toBeInTheDocument();
    expect(screen.getByText('ml.registries')).toBeInTheDocument();
    expect(screen.getByText(/failed: ECONNREFUSED/)).toBeInTheDocument();
    expect(screen.getByText(/answered in 12 ms/)).toBeInTheDocument();
    expect(screen.getByText(/ML backend 0.1.0/)).toBeInTheDocument();
  });

  it('says the backend did not answer when the request fails', async () => {
    await renderInTestApp(<IntegrationsCard />, {
      apis: [
        api({
          getHealth: async () =>
            Promise.reject(new Error('connect ECONNREFUSED')),
        }),
      ],
    });
    expect(
      await screen.findByText(/The ML backend did not answer/),
    ).toBeInTheDocument();
    expect(screen.getAllByText(/connect ECONNREFUSED/).length).toBeGreaterThan(
      0,
    );
  });
});
