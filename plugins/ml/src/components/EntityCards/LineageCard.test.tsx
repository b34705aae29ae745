import { Entity } from '@backstage/catalog-model';
import { screen, within } from '@testing-library/react';
import { LineageCard } from './LineageCard';
import {
  relations,
  renderOnEntityPage,
} from './__testUtils__/renderOnEntityPage';

const model: Entity = {
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Model',
  metadata: { name: 'fraud-detector', namespace: 'default' },
  spec: { type: 'classifier', lifecycle: 'production', owner: 'fraud-team' },
  relations: relations([
    ['ownedBy', 'group:default/fraud-team'],
    ['trainedOn', 'dataset:default/fraud-features'],
    ['trainedOn', 'dataset:default/chargeback-labels'],
    ['producedBy', 'pipeline:default/fraud-detector-training'],
    ['servedBy', 'component:default/fraud-scoring-service'],
    ['servedBy', 'api:default/fraud-scoring-api'],
  ]),
};

function hrefsInRow(label: string) {
  const row = screen.getByText(label).closest('tr') as HTMLElement;
  return within(row)
    .getAllByRole('link')
    .map(link => link.getAttribute('href'));
}

describe('LineageCard', () => {
  it('links upstream datasets and pipelines and downstream serving', async () => {
    await renderOnEntityPage(model, <LineageCard />);

    expect(screen.getByText('Upstream')).toBeInTheDocument();
    expect(hrefsInRow('trained on (Dataset)')).toEqual([
      '/catalog/default/dataset/fraud-features',
      '/catalog/default/dataset/chargeback-labels',
    ]);
    expect(hrefsInRow('produced by (Pipeline)')).toEqual([
      '/catalog/default/pipeline/fraud-detector-training',
    ]);
    expect(screen.getByText('Downstream')).toBeInTheDocument();
    expect(hrefsInRow('served by (Component)')).toEqual([
      '/catalog/default/component/fraud-scoring-service',
    ]);
    expect(hrefsInRow('served by (API)')).toEqual([
      '/catalog/default/api/fraud-scoring-api',
    ]);
    // Ownership is not lineage.
    expect(screen.queryByText(/fraud-team/)).not.toBeInTheDocument();
  });

  it('shows a dataset both what it came from and what was built from it', async () => {
    await renderOnEntityPage(
      {
        apiVersion: 'mlplatform.io/v1alpha1',
        kind: 'Dataset',
        metadata: { name: 'fraud-features', namespace: 'default' },
        spec: {},
        relations: relations([
          ['derivedFrom', 'dataset:default/card-transactions-raw'],
          ['producedBy', 'pipeline:default/fraud-features-pipeline'],
          ['trainingDataOf', 'model:default/fraud-detector'],
          ['consumedBy', 'pipeline:default/fraud-detector-training'],
        ]),
      },
      <LineageCard />,
    );

    expect(hrefsInRow('derived from (Dataset)')).toEqual([
      '/catalog/default/dataset/card-transactions-raw',
    ]);
    expect(hrefsInRow('training data of (Model)')).toEqual([
      '/catalog/default/model/fraud-detector',
    ]);
    expect(hrefsInRow('consumed by (Pipeline)')).toEqual([
      '/catalog/default/pipeline/fraud-detector-training',
    ]);
  });

  it('tells what to add to the YAML when there is no lineage', async () => {
    await renderOnEntityPage(
      { ...model, relations: relations([['ownedBy', 'group:default/x']]) },
      <LineageCard />,
    );

    expect(
      screen.getByText('No lineage recorded for this Model'),
    ).toBeInTheDocument();
    const yaml = screen.getByText(/trainedOn:/).textContent;
    expect(yaml).toContain('trainedOn: [my-training-dataset]');
    expect(yaml).toContain('producedBy: my-training-pipeline');
    expect(yaml).toContain('servedBy: [my-model-server]');
  });
});
