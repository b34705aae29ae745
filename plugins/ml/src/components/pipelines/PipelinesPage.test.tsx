import { Entity } from '@backstage/catalog-model';
import {
  mockApis,
  renderInTestApp,
  renderTestApp,
} from '@backstage/frontend-test-utils';
import { catalogApiRef, entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { configure, screen, waitFor, within } from '@testing-library/react';
import { mlApiPair } from '../../__testUtils__/fixtures';
import { PipelineRef } from '../../api';
import { mlPlugin } from '../../plugin';
import { PipelinesPage } from './PipelinesPage';
import {
  backendError,
  runsResponse,
  succeededRun,
  trainingPipeline,
} from './testData';

jest.setTimeout(60_000);
configure({ asyncUtilTimeout: 10_000 });

const dataPipeline: Entity = {
  ...trainingPipeline,
  metadata: { name: 'transactions-features', namespace: 'default' },
  spec: {
    type: 'data',
    lifecycle: 'production',
    owner: 'group:default/data-team',
    orchestrator: { type: 'airflow', id: 'transactions_features' },
  },
};

const component: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'web', namespace: 'default' },
  spec: { type: 'website', owner: 'web-team', lifecycle: 'production' },
};

describe('PipelinesPage', () => {
  it('lists the catalog pipelines with owner, type, orchestrator, schedule and latest run', async () => {
    const getPipelineRuns = jest.fn(async (ref: PipelineRef) => {
      if (ref.name === 'fraud-detector-training') {
        return runsResponse([succeededRun]);
      }
      throw backendError(503, 'airflow at 127.0.0.1:8080 did not answer');
    });
    await renderInTestApp(<PipelinesPage />, {
      apis: [
        mlApiPair({ getPipelineRuns }),
        [
          catalogApiRef,
          catalogApiMock({
            entities: [dataPipeline, trainingPipeline, component],
          }),
        ],
      ],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    });

    const table = await screen.findByRole('table', { name: 'Pipelines' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);

    expect(rows[0]).toHaveTextContent('Fraud detector training');
    expect(
      within(rows[0]).getByRole('link', { name: 'Fraud detector training' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/pipeline/fraud-detector-training',
    );
    expect(rows[0]).toHaveTextContent('fraud-team');
    expect(rows[0]).toHaveTextContent('training');
    expect(rows[0]).toHaveTextContent(
      'argo fraud-detector-training (gpu-cluster-a / fraud)',
    );
    expect(rows[0]).toHaveTextContent('every day at 03:00 UTC');
    expect(
      await within(rows[0]).findByTestId('run-status-succeeded'),
    ).toBeInTheDocument();
    expect(rows[0]).toHaveTextContent(/next run in 5 h/);
    expect(rows[0]).toHaveTextContent('21 hours ago');

    expect(rows[1]).toHaveTextContent('transactions-features');
    expect(rows[1]).toHaveTextContent('data-team');
    expect(rows[1]).toHaveTextContent('airflow transactions_features');
    expect(rows[1]).toHaveTextContent('on demand');
    expect(
      await within(rows[1]).findByText(
        'airflow at 127.0.0.1:8080 did not answer',
      ),
    ).toBeInTheDocument();

    expect(getPipelineRuns).toHaveBeenCalledTimes(2);
    expect(getPipelineRuns).toHaveBeenCalledWith(
      { namespace: 'default', name: 'fraud-detector-training' },
      { limit: 1 },
    );
    expect(screen.queryByText('web')).not.toBeInTheDocument();
  });

  it('asks for at most six latest runs at once', async () => {
    const pipelines = Array.from({ length: 10 }, (_, i) => ({
      ...trainingPipeline,
      metadata: { name: `pipeline-${i}`, namespace: 'default' },
    }));
    let running = 0;
    let peak = 0;
    const getPipelineRuns = jest.fn(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise(r => setTimeout(r, 20));
      running--;
      return runsResponse([]);
    });
    await renderInTestApp(<PipelinesPage />, {
      apis: [
        mlApiPair({ getPipelineRuns }),
        [catalogApiRef, catalogApiMock({ entities: pipelines })],
      ],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    });
    await waitFor(() =>
      expect(screen.getAllByText('no runs yet')).toHaveLength(10),
    );
    expect(getPipelineRuns).toHaveBeenCalledTimes(10);
    expect(peak).toBe(6);
  });

  it('says how to add pipelines when the catalog has none', async () => {
    await renderInTestApp(<PipelinesPage />, {
      apis: [
        mlApiPair(),
        [catalogApiRef, catalogApiMock({ entities: [component] })],
      ],
    });
    expect(
      await screen.findByText('No pipelines in the catalog'),
    ).toBeInTheDocument();
  });

  it('is the Pipelines tab of the ML page, /ml/pipelines', async () => {
    await renderTestApp({
      features: [mlPlugin],
      initialRouteEntries: ['/ml/pipelines'],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      apis: [
        mlApiPair({ getPipelineRuns: async () => runsResponse([]) }),
        [catalogApiRef, catalogApiMock({ entities: [trainingPipeline] })],
        mockApis.identity({ userEntityRef: 'user:default/guest' }),
      ],
    });
    await waitFor(
      () =>
        expect(screen.getByRole('tab', { name: 'Pipelines' })).toHaveAttribute(
          'aria-selected',
          'true',
        ),
      { timeout: 20_000 },
    );
    expect(
      await screen.findByRole(
        'table',
        { name: 'Pipelines' },
        { timeout: 10_000 },
      ),
    ).toHaveTextContent('Fraud detector training');
  });
});
