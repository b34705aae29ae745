import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
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
    getAuditEvents: async () => ({ items: [], scope: 'own' as const }),
  }),
  mockApis.identity({ userEntityRef: 'user:default/guest' }),
] as const;

describe('MlPage (legacy apps)', () => {
  it('opens on the overview and has every tab of the ML page, in its order', async () => {
    await renderInTestApp(<MlPage />, { apis });
    expect(await screen.findByText(/ML backend 0\.1\.0/)).toBeInTheDocument();
    expect(screen.getAllByRole('tab').map(tab => tab.textContent)).toEqual([
      'Overview',
      'Pipelines',
      'GPU quotas',
      'My notebooks',
      'Audit',
    ]);
    expect(screen.getByRole('tab', { name: 'Overview' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
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

  it('serves the Audit tab', async () => {
    await renderInTestApp(<MlPage />, {
      apis,
      initialRouteEntries: ['/audit'],
    });
    expect(
      await screen.findByText('No audited actions match these filters.'),
    ).toBeInTheDocument();
  });
});
