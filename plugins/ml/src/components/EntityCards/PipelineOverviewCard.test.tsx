import { PipelineEntityV1alpha1 } from '@mlplatform/plugin-ml-common';
import { screen, within } from '@testing-library/react';
import { PipelineOverviewCard } from './PipelineOverviewCard';
import {
  relations,
  renderOnEntityPage,
} from './__testUtils__/renderOnEntityPage';

const pipeline: PipelineEntityV1alpha1 = {
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Pipeline',
  metadata: { name: 'fraud-detector-training', namespace: 'default' },
  spec: {
    type: 'training',
    lifecycle: 'production',
    owner: 'fraud-team',
    orchestrator: {
      type: 'kubernetes-job',
      id: 'fraud-detector-training',
      namespace: 'fraud',
      cluster: 'gpu-cluster-a',
    },
    schedule: '0 3 * * 1',
    consumes: ['fraud-features'],
    produces: ['model:fraud-detector'],
    gpuQuota: 'fraud-gpu-quota',
  },
  relations: relations([
    ['ownedBy', 'group:default/fraud-team'],
    ['consumes', 'dataset:default/fraud-features'],
    ['consumes', 'dataset:default/chargeback-labels'],
    ['produces', 'model:default/fraud-detector'],
    ['usesQuota', 'gpuquota:default/fraud-gpu-quota'],
  ]),
};

function row(title: string) {
  return screen.getByText(title).closest('tr') as HTMLElement;
}

function hrefs(title: string) {
  return within(row(title))
    .getAllByRole('link')
    .map(link => link.getAttribute('href'));
}

describe('PipelineOverviewCard', () => {
  it('shows orchestrator, schedule and links to inputs, outputs and quota', async () => {
    await renderOnEntityPage(pipeline, <PipelineOverviewCard />);

    expect(within(row('Type')).getByText('training')).toBeInTheDocument();
    expect(
      within(row('Orchestrator')).getByText(
        'kubernetes-job: fraud-detector-training (gpu-cluster-a / fraud)',
      ),
    ).toBeInTheDocument();
    expect(within(row('Schedule')).getByText('0 3 * * 1')).toBeInTheDocument();
    expect(hrefs('Consumes')).toEqual([
      '/catalog/default/dataset/fraud-features',
      '/catalog/default/dataset/chargeback-labels',
    ]);
    expect(hrefs('Produces')).toEqual([
      '/catalog/default/model/fraud-detector',
    ]);
    expect(hrefs('GPU quota')).toEqual([
      '/catalog/default/gpuquota/fraud-gpu-quota',
    ]);
  });

  it('says a pipeline without schedule runs on demand', async () => {
    await renderOnEntityPage(
      { ...pipeline, spec: { ...pipeline.spec, schedule: undefined } },
      <PipelineOverviewCard />,
    );

    expect(within(row('Schedule')).getByText('on demand')).toBeInTheDocument();
  });
});
