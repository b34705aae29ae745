import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { configure, screen, waitFor, within } from '@testing-library/react';
import { mlApiPair } from '../../__testUtils__/fixtures';
import { AlertActionItem } from '@mlplatform/plugin-ml-common';
import { MlApi } from '../../api';
import { ModelAlertsCard } from './ModelAlertsCard';
import { failingHealth, fraudModel, unknownHealth } from './testData';

jest.setTimeout(30_000);
// The machine is shared; give slow renders time before failing.
configure({ asyncUtilTimeout: 10_000 });

function render(impl: Partial<MlApi>) {
  return renderInTestApp(
    <EntityProvider entity={fraudModel}>
      <ModelAlertsCard />
    </EntityProvider>,
    {
      apis: [
        mlApiPair({
          getModelAlertActions: async () => ({ items: [] }),
          ...impl,
        }),
      ],
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

  it('says the alerts were not queried for a model without a metrics selector', async () => {
    await render({ getModelHealth: async () => unknownHealth });
    expect(await screen.findByText('Alerts not queried')).toBeInTheDocument();
    expect(
      screen.getByText(/Not queried: this model has no/),
    ).toHaveTextContent(
      'Not queried: this model has no mlplatform.io/metrics-selector annotation, so Alertmanager was not asked about it.',
    );
    // Not asked is not "nothing fires", nor an Alertmanager failure.
    expect(
      screen.queryByText('No alerts firing for this model'),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByText(/Alertmanager returned an error/),
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

  describe('automated reactions', () => {
    const today = (time: string) =>
      `${new Date().toISOString().slice(0, 10)}T${time}Z`;
    const started: AlertActionItem = {
      alertname: 'ModelDriftHigh',
      fingerprint: '3f2a9c01',
      startsAt: today('13:58:00'),
      action: 'retrain',
      status: 'started',
      summary: 'started run fraud-detector-training-x7k2',
      runId: 'fraud-detector-training-x7k2',
      pipelineRef: 'pipeline:default/fraud-detector-training',
      at: today('14:02:00'),
    };

    it('lists what the webhook did, with chips for what it did not do', async () => {
      const getModelAlertActions = jest.fn(async () => ({
        items: [
          started,
          {
            ...started,
            status: 'duplicate' as const,
            summary: 'fingerprint 3f2a9c01 already handled at 14:02',
            runId: undefined,
            at: today('14:07:00'),
          },
          {
            ...started,
            alertname: 'ModelErrorRateHigh',
            fingerprint: '77aa',
            status: 'rate-limited' as const,
            summary:
              'at most 1 retraining per 6h for model:default/fraud-detector',
            runId: undefined,
            at: '2026-11-20T09:15:00Z',
          },
          {
            ...started,
            fingerprint: '88bb',
            status: 'failed' as const,
            summary: 'argo on gpu-cluster-a did not answer',
            runId: undefined,
          },
        ],
      }));
      await render({
        getModelHealth: async () => failingHealth,
        getModelAlertActions,
      });

      const list = await screen.findByRole('list', {
        name: 'Automated reactions',
      });
      expect(getModelAlertActions).toHaveBeenCalledWith(
        { namespace: 'default', name: 'fraud-detector' },
        { limit: 10 },
      );
      const items = within(list).getAllByRole('listitem');
      expect(items).toHaveLength(4);
      expect(items[0]).toHaveTextContent(
        'Retraining started by alert ModelDriftHigh at 14:02 UTC (run fraud-detector-training-x7k2)',
      );
      expect(
        within(items[0]).getByRole('link', {
          name: 'fraud-detector-training-x7k2',
        }),
      ).toHaveAttribute(
        'href',
        '/catalog/default/pipeline/fraud-detector-training',
      );
      expect(
        within(items[1]).getByTestId('alert-action-duplicate'),
      ).toHaveTextContent('duplicate');
      expect(items[1]).toHaveTextContent(
        'Retraining for alert ModelDriftHigh at 14:07 UTC',
      );
      expect(items[1]).toHaveTextContent('already handled at 14:02');
      expect(
        within(items[2]).getByTestId('alert-action-rate-limited'),
      ).toHaveTextContent('rate-limited');
      expect(items[2]).toHaveTextContent(
        'ModelErrorRateHigh at 20 Nov 09:15 UTC',
      );
      expect(
        within(items[3]).getByTestId('alert-action-failed'),
      ).toHaveTextContent('failed');
      expect(items[3]).toHaveTextContent(
        'argo on gpu-cluster-a did not answer',
      );
      // The firing alerts are still there.
      expect(
        screen.getByRole('table', { name: 'Firing alerts' }),
      ).toBeInTheDocument();
    });

    it('explains where reactions come from when there are none', async () => {
      await render({ getModelHealth: async () => failingHealth });
      expect(
        await screen.findByText(
          /No automated reactions to this model's alerts yet/,
        ),
      ).toBeInTheDocument();
      expect(screen.getByText('ml.alerts')).toBeInTheDocument();
    });

    it('keeps the alerts when the reactions cannot be read', async () => {
      await render({
        getModelHealth: async () => failingHealth,
        getModelAlertActions: async () => {
          throw Object.assign(new Error('Request failed with 500'), {
            body: { error: { message: 'alert_actions table is missing' } },
          });
        },
      });
      expect(
        await screen.findByText(/Could not read the automated reactions/),
      ).toBeInTheDocument();
      expect(
        screen.getByText('alert_actions table is missing'),
      ).toBeInTheDocument();
      await waitFor(() =>
        expect(
          screen.getByRole('table', { name: 'Firing alerts' }),
        ).toBeInTheDocument(),
      );
    });
  });
});
