import { mockApis, renderTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { screen, waitFor } from '@testing-library/react';
import { allQuotas, mlApiPair } from './__testUtils__/fixtures';
import { mlPlugin } from './plugin';

jest.setTimeout(60_000);

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

describe('mlPlugin', () => {
  it('opens /ml on the Overview tab and offers the GPU quota and notebook tabs', async () => {
    await renderTestApp({
      features: [mlPlugin],
      initialRouteEntries: ['/ml'],
      apis,
    });
    // Sub-pages are lazy-loaded; the first import is slow under jest.
    expect(
      await screen.findByText('ML platform', {}, { timeout: 20_000 }),
    ).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Overview' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    expect(screen.getByRole('tab', { name: 'GPU quotas' })).toBeInTheDocument();
    expect(
      screen.getByRole('tab', { name: 'My notebooks' }),
    ).toBeInTheDocument();
    // The same tabs, in the same order, as the legacy page (MlPage.test.tsx).
    expect(screen.getAllByRole('tab').map(tab => tab.textContent)).toEqual([
      'Overview',
      'Pipelines',
      'GPU quotas',
      'My notebooks',
      'Audit',
    ]);
  });

  it.each([
    ['/ml/quotas', 'GPU quotas', 'fraud on gpu-cluster-a'],
    ['/ml/notebooks', 'My notebooks', 'You have no notebooks yet'],
    ['/ml/audit', 'Audit', 'No audited actions match these filters.'],
  ])('serves %s', async (path, heading, content) => {
    await renderTestApp({
      features: [mlPlugin],
      initialRouteEntries: [path],
      // Team links point into the catalog, which a real app always has.
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      apis,
    });
    await waitFor(
      () =>
        expect(
          screen.getByRole('heading', { name: heading }),
        ).toBeInTheDocument(),
      { timeout: 20_000 },
    );
    expect(screen.getByRole('tab', { name: heading })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    expect(
      await screen.findByText(content, {}, { timeout: 10_000 }),
    ).toBeInTheDocument();
  });
});
