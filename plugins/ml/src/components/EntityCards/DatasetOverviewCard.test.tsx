import { DatasetEntityV1alpha1 } from '@mlplatform/plugin-ml-common';
import { screen, within } from '@testing-library/react';
import { DatasetOverviewCard } from './DatasetOverviewCard';
import {
  relations,
  renderOnEntityPage,
} from './__testUtils__/renderOnEntityPage';

const dataset: DatasetEntityV1alpha1 = {
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Dataset',
  metadata: { name: 'card-transactions-raw', namespace: 'default' },
  spec: {
    type: 'table',
    lifecycle: 'production',
    owner: 'fraud-team',
    location: 's3://ml-raw/fraud/card-transactions/',
    format: 'parquet',
    classification: 'restricted',
    schema: {
      ref: 'https://schemas.example.com/tx.avsc',
      fields: ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(name => ({
        name,
        type: 'string',
      })),
    },
  },
  relations: relations([['ownedBy', 'group:default/fraud-team']]),
};

function row(title: string) {
  return screen.getByText(title).closest('tr') as HTMLElement;
}

describe('DatasetOverviewCard', () => {
  it('shows type, format, location, classification, schema and owner', async () => {
    await renderOnEntityPage(dataset, <DatasetOverviewCard />);

    expect(within(row('Type')).getByText('table')).toBeInTheDocument();
    expect(within(row('Format')).getByText('parquet')).toBeInTheDocument();
    expect(
      within(row('Location')).getByText('s3://ml-raw/fraud/card-transactions/'),
    ).toBeInTheDocument();
    expect(
      within(row('Classification')).getByText('restricted'),
    ).toBeInTheDocument();
    expect(
      within(row('Schema')).getByText('7 fields: a, b, c, d, e, +2 more'),
    ).toBeInTheDocument();
    expect(
      within(row('Schema')).getByText(
        'Schema: https://schemas.example.com/tx.avsc',
      ),
    ).toBeInTheDocument();
    expect(within(row('Owner')).getByRole('link')).toHaveAttribute(
      'href',
      '/catalog/default/group/fraud-team',
    );
  });

  it('shows unclassified data as internal and links https locations', async () => {
    await renderOnEntityPage(
      {
        ...dataset,
        spec: {
          ...dataset.spec,
          classification: undefined,
          schema: undefined,
          location: 'https://data.example.com/tx',
        },
      },
      <DatasetOverviewCard />,
    );

    expect(
      within(row('Classification')).getByText('internal'),
    ).toBeInTheDocument();
    expect(
      within(row('Location')).getByRole('link', { name: /data\.example\.com/ }),
    ).toHaveAttribute('href', 'https://data.example.com/tx');
    expect(screen.queryByText('Schema')).not.toBeInTheDocument();
  });
});
