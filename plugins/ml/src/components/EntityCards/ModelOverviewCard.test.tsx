import { Entity } from '@backstage/catalog-model';
import { ModelEntityV1alpha1 } from '@mlplatform/plugin-ml-common';
import { screen, within } from '@testing-library/react';
import { ModelOverviewCard } from './ModelOverviewCard';
import {
  relations,
  renderOnEntityPage,
} from './__testUtils__/renderOnEntityPage';

const model: ModelEntityV1alpha1 = {
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Model',
  metadata: { name: 'fraud-detector', namespace: 'default' },
  spec: {
    type: 'classifier',
    lifecycle: 'production',
    owner: 'fraud-team',
    system: 'fraud-detection',
    framework: 'pytorch-lightning',
    task: 'binary-classification',
    registry: 'oci://localhost:5000/models/fraud-detector',
    slo: { latencyP95Ms: 50, errorRate: 0.005, availability: 0.999 },
  },
  relations: relations([
    ['ownedBy', 'group:default/fraud-team'],
    ['partOf', 'system:default/fraud-detection'],
  ]),
};

function row(title: string) {
  return screen.getByText(title).closest('tr') as HTMLElement;
}

describe('ModelOverviewCard', () => {
  it('shows the model fields, SLO targets and owner and system links', async () => {
    await renderOnEntityPage(model, <ModelOverviewCard />);

    expect(within(row('Type')).getByText('classifier')).toBeInTheDocument();
    expect(
      within(row('Framework')).getByText('pytorch-lightning'),
    ).toBeInTheDocument();
    expect(
      within(row('Task')).getByText('binary-classification'),
    ).toBeInTheDocument();
    expect(
      within(row('Registry')).getByText(
        'oci://localhost:5000/models/fraud-detector',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('p95 latency ≤ 50 ms')).toBeInTheDocument();
    expect(screen.getByText('error rate ≤ 0.5 %')).toBeInTheDocument();
    expect(screen.getByText('availability ≥ 99.9 %')).toBeInTheDocument();
    expect(within(row('Owner')).getByRole('link')).toHaveAttribute(
      'href',
      '/catalog/default/group/fraud-team',
    );
    expect(within(row('System')).getByRole('link')).toHaveAttribute(
      'href',
      '/catalog/default/system/fraud-detection',
    );
  });

  it('falls back to the spec refs before the catalog has emitted relations', async () => {
    await renderOnEntityPage(
      { ...model, relations: undefined },
      <ModelOverviewCard />,
    );

    expect(within(row('Owner')).getByRole('link')).toHaveAttribute(
      'href',
      '/catalog/default/group/fraud-team',
    );
  });

  it('describes a Red Hat Developer Hub ai-model resource', async () => {
    const resource: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: 'granite-8b',
        annotations: {
          'mlplatform.io/registry-ref': 'oci://quay.io/models/granite',
          'rhdh.modelcatalog.io/model-name': 'granite-8b-instruct',
        },
      },
      spec: { type: 'ai-model', lifecycle: 'development', owner: 'ai-team' },
    };
    await renderOnEntityPage(resource, <ModelOverviewCard />);

    expect(
      screen.getByText('AI model (Red Hat Developer Hub)'),
    ).toBeInTheDocument();
    expect(screen.getByText('granite-8b-instruct')).toBeInTheDocument();
    expect(
      screen.getByText('oci://quay.io/models/granite'),
    ).toBeInTheDocument();
    expect(screen.queryByText('SLO targets')).not.toBeInTheDocument();
  });

  it('warns when placed on an entity that is not a model', async () => {
    await renderOnEntityPage(
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name: 'web' },
        spec: { type: 'website' },
      },
      <ModelOverviewCard />,
    );

    expect(
      screen.getByText(/only works on Model entities/),
    ).toBeInTheDocument();
  });
});
