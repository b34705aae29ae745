import { Entity } from '@backstage/catalog-model';
import { ModelEntityV1alpha1 } from '@mlplatform/plugin-ml-common';
import { screen, within } from '@testing-library/react';
import { ModelCardSection } from './ModelCardSection';
import { renderOnEntityPage } from './__testUtils__/renderOnEntityPage';

const model: ModelEntityV1alpha1 = {
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Model',
  metadata: { name: 'fraud-detector', namespace: 'default' },
  spec: {
    type: 'classifier',
    lifecycle: 'production',
    owner: 'fraud-team',
    intendedUse: 'Real-time scoring of **card** transactions.',
    limitations: 'Trained on EU transactions only.',
    license: 'proprietary',
    modelCard: 'https://models.example.com/fraud-detector',
    metrics: { auc: 0.973, recall: 0.84 },
  },
};

describe('ModelCardSection', () => {
  it('renders intended use, limitations, license, metrics and the full card link', async () => {
    await renderOnEntityPage(model, <ModelCardSection />);

    expect(screen.getByText('Intended use')).toBeInTheDocument();
    // Markdown is rendered, not shown raw.
    expect(screen.getByText('card').tagName).toBe('STRONG');
    expect(
      screen.getByText('Trained on EU transactions only.'),
    ).toBeInTheDocument();
    expect(screen.getByText('proprietary')).toBeInTheDocument();
    const metrics = screen.getByRole('table', { name: 'Metrics' });
    expect(
      within(metrics)
        .getAllByRole('row')
        .map(row => row.textContent),
    ).toEqual(['MetricValue', 'auc0.973', 'recall0.84']);
    expect(
      screen.getByRole('link', { name: /Full model card/ }),
    ).toHaveAttribute('href', 'https://models.example.com/fraud-detector');
  });

  it('links the license of a Red Hat Developer Hub model', async () => {
    const resource: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: 'granite-8b',
        links: [
          {
            url: 'https://www.apache.org/licenses/LICENSE-2.0',
            title: 'License',
          },
        ],
      },
      spec: { type: 'ai-model' },
    };
    await renderOnEntityPage(resource, <ModelCardSection />);

    expect(screen.getByRole('link', { name: /apache\.org/ })).toHaveAttribute(
      'href',
      'https://www.apache.org/licenses/LICENSE-2.0',
    );
  });

  it('shows what to add when the model has no card fields', async () => {
    await renderOnEntityPage(
      {
        ...model,
        spec: {
          type: 'classifier',
          lifecycle: 'production',
          owner: 'fraud-team',
        },
      },
      <ModelCardSection />,
    );

    expect(screen.getByText('No model card fields yet')).toBeInTheDocument();
    expect(screen.getByText(/intendedUse:/)).toBeInTheDocument();
  });
});
