import { Entity } from '@backstage/catalog-model';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { configure, screen } from '@testing-library/react';
import { mlApiPair } from '../../__testUtils__/fixtures';
import { MlApi } from '../../api';
import { LatestTrainingRunCard } from './LatestTrainingRunCard';
import {
  backendError,
  producedModel,
  runsResponse,
  succeededRun,
} from './testData';

jest.setTimeout(30_000);
configure({ asyncUtilTimeout: 10_000 });

function render(impl: Partial<MlApi>, entity: Entity = producedModel) {
  return renderInTestApp(
    <EntityProvider entity={entity}>
      <LatestTrainingRunCard />
    </EntityProvider>,
    {
      apis: [mlApiPair(impl)],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

describe('LatestTrainingRunCard', () => {
  it("shows the producing pipeline's latest run with a link to the pipeline", async () => {
    const getPipelineRuns = jest.fn(async () => runsResponse([succeededRun]));
    await render({ getPipelineRuns });

    const latest = await screen.findByLabelText('Latest run');
    expect(getPipelineRuns).toHaveBeenCalledWith(
      { namespace: 'default', name: 'fraud-detector-training' },
      { limit: 1 },
    );
    expect(screen.getByTestId('run-status-succeeded')).toBeInTheDocument();
    expect(latest).toHaveTextContent('fraud-detector-training-q9m4');
    expect(latest).toHaveTextContent(
      'Started 21 hours ago · Schedule · took 1 h 5 min',
    );
    expect(latest).toHaveTextContent('Produced version: v4');
    expect(
      screen.getByRole('link', { name: /fraud-detector-training$/ }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/pipeline/fraud-detector-training',
    );
  });

  it('follows the producedBy relation the catalog resolved', async () => {
    const getPipelineRuns = jest.fn(async () => runsResponse([]));
    await render(
      { getPipelineRuns },
      {
        ...producedModel,
        relations: [
          {
            type: 'producedBy',
            targetRef: 'pipeline:ml/fraud-detector-training',
          },
        ],
      },
    );
    expect(
      await screen.findByText(
        'pipeline:ml/fraud-detector-training has no runs yet.',
      ),
    ).toBeInTheDocument();
    expect(getPipelineRuns).toHaveBeenCalledWith(
      { namespace: 'ml', name: 'fraud-detector-training' },
      { limit: 1 },
    );
  });

  it('says when the orchestrator did not answer', async () => {
    await render({
      getPipelineRuns: async () => {
        throw backendError(503, 'argo on gpu-cluster-a did not answer');
      },
    });
    expect(
      await screen.findByText(/The orchestrator did not answer/),
    ).toBeInTheDocument();
    expect(
      screen.getByText('argo on gpu-cluster-a did not answer'),
    ).toBeInTheDocument();
  });

  it('asks for spec.producedBy and nothing else without it', async () => {
    const getPipelineRuns = jest.fn();
    await render(
      { getPipelineRuns },
      {
        ...producedModel,
        spec: { ...producedModel.spec, producedBy: undefined },
      },
    );
    expect(await screen.findByText(/add spec.producedBy/)).toBeInTheDocument();
    expect(getPipelineRuns).not.toHaveBeenCalled();
  });
});
