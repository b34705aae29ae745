import { renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { screen, within } from '@testing-library/react';
import { MlOverviewResponse } from '@mlplatform/plugin-ml-common';
import { mlApiPair } from '../../__testUtils__/fixtures';
import { MlOverview } from './MlOverview';

jest.setTimeout(30_000);

const mountedRoutes = { '/catalog/:namespace/:kind/:name': entityRouteRef };
const health = async () => ({
  version: '0.1.0',
  checkedAt: '2026-11-23T10:00:00.000Z',
  integrations: [],
});

const FRAUD = { ref: 'group:default/fraud-team', name: 'Fraud Squad' };

const overview: MlOverviewResponse = {
  generatedAt: '2026-12-04T12:00:00.000Z',
  models: {
    total: 3,
    byVerdict: { failing: 1, degraded: 0, unknown: 1, healthy: 1 },
    evaluating: 0,
    items: [
      {
        entityRef: 'model:default/fraud-detector',
        title: 'Fraud detector',
        owner: FRAUD,
        verdict: 'failing',
        reason: 'p95 latency 480 ms, objective 200 ms',
        firingAlerts: 1,
      },
      {
        entityRef: 'model:default/ranker',
        title: 'Ranker',
        verdict: 'unknown',
        reason: 'Not configured',
        firingAlerts: 0,
      },
      {
        entityRef: 'model:default/churn',
        title: 'Churn',
        verdict: 'healthy',
        firingAlerts: 0,
      },
    ],
    problems: [],
  },
  alerts: {
    total: 1,
    items: [
      {
        modelRef: 'model:default/fraud-detector',
        modelTitle: 'Fraud detector',
        owner: FRAUD,
        name: 'ModelDriftHigh',
        severity: 'critical',
        summary: 'Drift above 0.3',
        startsAt: '2026-12-04T10:00:00.000Z',
      },
    ],
    problems: [],
  },
  pipelines: {
    total: 2,
    failedOrStuck: 1,
    items: [
      {
        pipelineRef: 'pipeline:default/fraud-training',
        pipelineTitle: 'fraud-training',
        owner: FRAUD,
        runId: 'ft-3',
        problem: 'failed',
        status: 'Failed',
        message: 'OOMKilled',
        at: '2026-12-04T09:00:00.000Z',
      },
    ],
    problems: [],
  },
  gpus: {
    total: 1,
    items: [
      {
        cluster: 'gpu-cluster-a',
        team: FRAUD,
        hard: 8,
        used: 6,
        free: 2,
        pendingDemand: 4,
        pendingWorkloads: 1,
      },
    ],
    clusters: [{ name: 'gpu-cluster-a', available: true }],
  },
  idleNotebooks: {
    status: 'ok',
    threshold: 5,
    afterSeconds: 3600,
    gpus: 2,
    total: 1,
    items: [
      {
        cluster: 'gpu-cluster-a',
        namespace: 'fraud',
        name: 'idle-nb',
        team: FRAUD,
        createdBy: { ref: 'user:default/ada', name: 'Ada Lovelace' },
        gpus: 2,
        utilization: 1.5,
        idleSeconds: 3 * 3600,
        idleAtLeast: false,
        exempt: false,
      },
    ],
    checkedAt: '2026-12-04T12:00:00.000Z',
  },
  datasets: {
    total: 5,
    withObjective: 3,
    known: 2,
    stale: 1,
    items: [
      {
        entityRef: 'dataset:default/transactions',
        title: 'Transactions',
        owner: FRAUD,
        maxAge: '24h',
        reason: 'the newest object is 3d 3h old, over the 24h objective',
        checkedAt: '2026-12-04T11:00:00.000Z',
      },
    ],
  },
};

const EMPTY: MlOverviewResponse = {
  generatedAt: '2026-12-04T12:00:00.000Z',
  models: { total: 0, byVerdict: {}, evaluating: 0, items: [], problems: [] },
  alerts: { total: 0, items: [], problems: [] },
  pipelines: { total: 0, failedOrStuck: 0, items: [], problems: [] },
  gpus: {
    total: 0,
    items: [],
    clusters: [{ name: 'gpu-cluster-a', available: true }],
  },
  idleNotebooks: {
    status: 'no-dcgm',
    message: 'Prometheus has no DCGM_FI_DEV_GPU_UTIL series',
    threshold: 5,
    afterSeconds: 3600,
    gpus: 0,
    total: 0,
    items: [],
    checkedAt: '2026-12-04T12:00:00.000Z',
  },
  datasets: { total: 0, withObjective: 0, known: 0, stale: 0, items: [] },
};

function card(title: string) {
  return within(
    screen.getByText(title).closest('[class*="MuiCard-root"]') as HTMLElement,
  );
}

describe('MlOverview', () => {
  it('shows the fleet as tiles that link to the detail, owners by name', async () => {
    await renderInTestApp(<MlOverview />, {
      apis: [
        mlApiPair({ getOverview: async () => overview, getHealth: health }),
      ],
      mountedRoutes,
    });
    expect(await screen.findByText('Model health')).toBeInTheDocument();

    const models = card('Model health');
    expect(
      models.getByRole('img', {
        name: '1 failing, 0 degraded, 1 unknown, 1 healthy',
      }),
    ).toBeInTheDocument();
    const worst = within(models.getByRole('list'));
    expect(worst.getAllByRole('link').map(l => l.textContent)).toEqual([
      'Fraud detector',
      'Ranker',
    ]);
    expect(worst.getByRole('link', { name: 'Fraud detector' })).toHaveAttribute(
      'href',
      '/catalog/default/model/fraud-detector',
    );
    expect(
      worst.getByText('Fraud Squad · p95 latency 480 ms, objective 200 ms'),
    ).toBeInTheDocument();

    const alerts = card('Firing alerts');
    expect(alerts.getByText('1')).toBeInTheDocument();
    expect(alerts.getByText(/ModelDriftHigh/)).toBeInTheDocument();

    const runs = card('Pipeline runs that need a look');
    expect(runs.getByRole('link', { name: 'fraud-training' })).toHaveAttribute(
      'href',
      '/catalog/default/pipeline/fraud-training',
    );
    expect(
      runs.getByText(/ft-3 · Fraud Squad · OOMKilled/),
    ).toBeInTheDocument();

    const gpus = card('GPUs per team');
    expect(gpus.getByRole('link', { name: 'Fraud Squad' })).toHaveAttribute(
      'href',
      `/quotas?cluster=gpu-cluster-a&team=${encodeURIComponent(FRAUD.ref)}`,
    );
    expect(
      gpus.getByText(
        /on gpu-cluster-a: 6 \/ 8 used · 2 free · 4 asked for by 1 waiting workload$/,
      ),
    ).toBeInTheDocument();
    expect(
      gpus.getByRole('progressbar', {
        name: 'Fraud Squad on gpu-cluster-a: 6 of 8 GPUs used',
      }),
    ).toHaveAttribute('aria-valuenow', '75');

    expect(
      alerts.getByText(/^Fraud Squad · Drift above 0\.3/),
    ).toBeInTheDocument();

    const idle = card('Notebooks holding idle GPUs');
    expect(
      idle.getByText(
        'Where GPU utilisation is known: below 5% GPU for over 1h',
      ),
    ).toBeInTheDocument();
    expect(idle.getByText('2')).toBeInTheDocument();
    expect(
      idle.getByText('idle-nb · 2 GPUs · idle for 3h at 1.5% GPU'),
    ).toBeInTheDocument();
    expect(
      idle.getByText('Ada Lovelace · Fraud Squad · fraud on gpu-cluster-a'),
    ).toBeInTheDocument();

    const stale = card('Datasets past their freshness');
    expect(
      stale.getByText(
        'Where known: 2 of 3 Datasets with a freshness objective checked',
      ),
    ).toBeInTheDocument();
    expect(stale.getByRole('link', { name: 'Transactions' })).toHaveAttribute(
      'href',
      '/catalog/default/dataset/transactions',
    );
    expect(
      stale.getByText(
        /^Fraud Squad · the newest object is 3d 3h old, over the 24h objective · checked /,
      ),
    ).toBeInTheDocument();
    expect(stale.getByText(/^1 not checked yet/)).toBeInTheDocument();

    // the integrations card stays on the page
    expect(await screen.findByText(/ML backend 0\.1\.0/)).toBeInTheDocument();
  });

  it('leads a new team to the templates when there is nothing yet', async () => {
    await renderInTestApp(<MlOverview />, {
      apis: [mlApiPair({ getOverview: async () => EMPTY, getHealth: health })],
      mountedRoutes,
    });
    expect(
      await screen.findByText(/No models in the catalog yet/),
    ).toBeInTheDocument();
    const action = (tile: string, name: string) =>
      card(tile).getByRole('button', { name }).closest('a');
    expect(action('Model health', 'Create an ML project')).toHaveAttribute(
      'href',
      '/create/templates/default/ml-project',
    );
    expect(action('GPUs per team', 'Create a GPU notebook')).toHaveAttribute(
      'href',
      '/create/templates/default/gpu-notebook',
    );
    expect(
      card('Firing alerts').getByText('No alerts are firing for any model.'),
    ).toBeInTheDocument();
    expect(
      action('Datasets past their freshness', 'Create an ML project'),
    ).toHaveAttribute('href', '/create/templates/default/ml-project');
    expect(
      card('Notebooks holding idle GPUs').getByText(
        /^Not known\. No GPU utilisation metrics\. Prometheus has no DCGM/,
      ),
    ).toBeInTheDocument();
  });

  it('shows the backend error and still the integrations', async () => {
    const { ResponseError } = await import('@backstage/errors');
    await renderInTestApp(<MlOverview />, {
      apis: [
        mlApiPair({
          getOverview: async () => {
            throw await ResponseError.fromResponse(
              new Response(
                JSON.stringify({
                  error: { name: 'Error', message: 'catalog down' },
                }),
                {
                  status: 503,
                  headers: { 'content-type': 'application/json' },
                },
              ) as any,
            );
          },
          getHealth: health,
        }),
      ],
      mountedRoutes,
    });
    expect(
      await screen.findByText(/Could not load the ML overview/),
    ).toBeInTheDocument();
    expect(await screen.findByText(/ML backend 0\.1\.0/)).toBeInTheDocument();
  });
});
