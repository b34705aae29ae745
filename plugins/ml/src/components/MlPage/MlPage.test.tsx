import { renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import { allQuotas, mlApiPair } from '../../__testUtils__/fixtures';
import { MlPage } from './MlPage';

jest.setTimeout(30_000);

const apis = [
  mlApiPair({
    getHealth: async () => ({
      version: '0.1.0',
      checkedAt: '2026-11-23T10:00:00.000Z',
      integrations: [],
    }),
    getQuotas: async () => allQuotas,
    listNotebooks: async () => ({ items: [], unavailableClusters: [] }),
  }),
] as const;

describe('MlPage (legacy apps)', () => {
  it('shows the overview with tabs to quotas and notebooks', async () => {
    await renderInTestApp(<MlPage />, { apis });
    expect(await screen.findByText(/ML backend 0\.1\.0/)).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'GPU quotas' })).toBeInTheDocument();
    expect(
      screen.getByRole('tab', { name: 'My notebooks' }),
    ).toBeInTheDocument();
  });

  it('serves the GPU quotas tab', async () => {
    await renderInTestApp(<MlPage />, {
      apis,
      initialRouteEntries: ['/quotas'],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    });
    expect(
      await screen.findByText('fraud on gpu-cluster-a'),
    ).toBeInTheDocument();
  });
});
