import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { configure, screen, within } from '@testing-library/react';
import { mlApiPair } from '../../__testUtils__/fixtures';
import { MlApi } from '../../api';
import { ModelAlertsCard } from './ModelAlertsCard';
import { failingHealth, fraudModel } from './testData';

jest.setTimeout(30_000);
// The machine is shared; give slow renders time before failing.
configure({ asyncUtilTimeout: 10_000 });

function render(impl: Partial<MlApi>) {
  return renderInTestApp(
    <EntityProvider entity={fraudModel}>
      <ModelAlertsCard />
    </EntityProvider>,
    {
      apis: [mlApiPair(impl)],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

describe('ModelAlertsCard', () => {
  it('lists firing alerts, most severe first, with links and age', async () => {
    await render({ getModelHealth: async () => failingHealth });

    const table = await screen.findByRole('table', { name: 'Firing alerts' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('critical');
    expect(rows[0]).toHaveTextContent('Drift of fraud-detector is 0.72');
    expect(rows[0]).toHaveTextContent('12 minutes ago');
    expect(
      within(rows[0]).getByRole('link', { name: /ModelDriftHigh/ }),
    ).toHaveAttribute(
      'href',
      'http://prometheus.test/graph?g0.expr=model_drift_score',
    );
    expect(rows[1]).toHaveTextContent('warning');
    expect(rows[1]).toHaveTextContent('3 hours ago');
    expect(within(rows[1]).queryByRole('link')).not.toBeInTheDocument();
  });

  it('says when nothing fires', async () => {
    await render({
      getModelHealth: async () => ({ ...failingHealth, alerts: [] }),
    });
    expect(
      await screen.findByText('No alerts firing for this model'),
    ).toBeInTheDocument();
  });

  it('says when Alertmanager is not configured', async () => {
    await render({
      getModelHealth: async () => ({
        ...failingHealth,
        alerts: [],
        alertmanager: { state: 'not-configured' },
      }),
    });
    expect(
      await screen.findByText('Alertmanager not configured'),
    ).toBeInTheDocument();
    expect(screen.getByText('ml.alertmanager.url')).toBeInTheDocument();
    expect(
      screen.queryByText('No alerts firing for this model'),
    ).not.toBeInTheDocument();
  });

  it('warns when Alertmanager did not answer', async () => {
    await render({
      getModelHealth: async () => ({
        ...failingHealth,
        alerts: [],
        alertmanager: {
          state: 'unreachable',
          message:
            'Alertmanager at 127.0.0.1:9093 did not answer: ECONNREFUSED',
        },
      }),
    });
    expect(
      await screen.findByText(/Alertmanager did not answer/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/127.0.0.1:9093 did not answer: ECONNREFUSED/),
    ).toBeInTheDocument();
  });
});
