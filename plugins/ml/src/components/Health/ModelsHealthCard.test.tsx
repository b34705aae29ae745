import { renderInTestApp } from '@backstage/frontend-test-utils';
import { catalogApiRef, entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { configure, screen, within } from '@testing-library/react';
import { mlApiPair } from '../../__testUtils__/fixtures';
import { ModelsHealthCard } from './ModelsHealthCard';
import { failingHealth, fraudModel } from './testData';

jest.setTimeout(30_000);
// The machine is shared; give slow renders time before failing.
configure({ asyncUtilTimeout: 10_000 });

describe('ModelsHealthCard', () => {
  it('lists the catalog models with their verdicts', async () => {
    const getModelHealth = jest.fn(async (ref: { name: string }) => {
      if (ref.name === 'fraud-detector') return failingHealth;
      throw Object.assign(new Error('503'), {
        body: {
          error: { message: 'Prometheus at 127.0.0.1:9 did not answer' },
        },
      });
    });
    await renderInTestApp(<ModelsHealthCard />, {
      apis: [
        mlApiPair({ getModelHealth }),
        [
          catalogApiRef,
          catalogApiMock({
            entities: [
              fraudModel,
              {
                ...fraudModel,
                metadata: { name: 'product-ranker', namespace: 'default' },
              },
              {
                apiVersion: 'backstage.io/v1alpha1',
                kind: 'Component',
                metadata: { name: 'web', namespace: 'default' },
                spec: { type: 'website', owner: 'web-team' },
              },
            ],
          }),
        ],
      ],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    });

    const table = await screen.findByRole('table', { name: 'Model health' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(
      await within(rows[0]).findByTestId('status-failing'),
    ).toBeInTheDocument();
    expect(rows[0]).toHaveTextContent('fraud-detector');
    expect(
      await within(rows[1]).findByText(
        'Prometheus at 127.0.0.1:9 did not answer',
      ),
    ).toBeInTheDocument();
    expect(getModelHealth).toHaveBeenCalledWith(
      { namespace: 'default', name: 'fraud-detector' },
      '1h',
    );
    expect(screen.queryByText('web')).not.toBeInTheDocument();
  });

  it('renders nothing without a catalog API', async () => {
    await renderInTestApp(<ModelsHealthCard />, { apis: [mlApiPair()] });
    expect(screen.queryByText('Models')).not.toBeInTheDocument();
  });
});
