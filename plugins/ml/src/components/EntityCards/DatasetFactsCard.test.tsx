import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import {
  DatasetEntityV1alpha1,
  DatasetFactsResponse,
  datasetFactsResponseSchema,
} from '@mlplatform/plugin-ml-common';
import { screen } from '@testing-library/react';
import { mlApiPair } from '../../__testUtils__/fixtures';
import { MlApi } from '../../api';
import { DatasetFactsCard } from './DatasetFactsCard';

const entity: DatasetEntityV1alpha1 = {
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Dataset',
  metadata: { name: 'card-transactions-raw', namespace: 'default' },
  spec: {
    type: 'table',
    lifecycle: 'production',
    owner: 'fraud-team',
    location: 's3://ml-raw/fraud/card-transactions/',
    freshness: { maxAge: '24h' },
  },
};

const hoursAgo = (h: number) =>
  new Date(Date.now() - h * 3600_000).toISOString();

// Fixtures go through the contract's schema, so they are answers the
// backend could give.
const s3Fresh: DatasetFactsResponse = datasetFactsResponseSchema.parse({
  entityRef: 'dataset:default/card-transactions-raw',
  location: 's3://ml-raw/fraud/card-transactions/',
  facts: {
    kind: 's3',
    bucket: 'ml-raw',
    prefix: 'fraud/card-transactions/',
    objectCount: 1284,
    totalBytes: 3 * 1024 ** 3,
    newestObjectAt: hoursAgo(2),
    truncated: false,
  },
  freshness: {
    maxAge: '24h',
    verdict: 'fresh',
    reason: 'the newest object is 2h old, within 24h',
    changedAt: hoursAgo(2),
    ageSeconds: 7200,
  },
  checkedAt: new Date().toISOString(),
});

const refused: DatasetFactsResponse = datasetFactsResponseSchema.parse({
  entityRef: 'dataset:default/card-transactions-raw',
  location: 's3://someone-elses-bucket/data/',
  unavailable:
    'bucket "someone-elses-bucket" is not in ml.storage.s3.buckets (configured: ml-raw); only configured buckets are contacted: add it there with its endpoint and credentials',
  freshness: {
    maxAge: '24h',
    verdict: 'unknown',
    reason: 'bucket "someone-elses-bucket" is not in ml.storage.s3.buckets',
  },
  checkedAt: new Date().toISOString(),
});

const pvc: DatasetFactsResponse = datasetFactsResponseSchema.parse({
  entityRef: 'dataset:default/support-tickets-curated',
  location: 'pvc://gpu-cluster-a/nlp/support-tickets-curated',
  facts: {
    kind: 'pvc',
    cluster: 'gpu-cluster-a',
    namespace: 'nlp',
    claim: 'support-tickets-curated',
    phase: 'Bound',
    capacity: '20Gi',
    capacityBytes: 20 * 1024 ** 3,
    storageClass: 'fast-ssd',
    usedBytes: 5 * 1024 ** 3,
  },
  freshness: {
    verdict: 'unknown',
    reason:
      'a PVC does not say when its data last changed, so freshness cannot be judged from it',
  },
  checkedAt: new Date().toISOString(),
});

function render(impl: Partial<MlApi>) {
  return renderInTestApp(
    <EntityProvider entity={entity}>
      <DatasetFactsCard />
    </EntityProvider>,
    {
      apis: [mlApiPair(impl)],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

jest.setTimeout(30_000);

describe('DatasetFactsCard', () => {
  it('shows the verdict chip, its reason and the S3 facts', async () => {
    const getDatasetFacts = jest.fn(async () => s3Fresh);
    await render({ getDatasetFacts });
    expect(await screen.findByTestId('freshness-fresh')).toHaveTextContent(
      'Fresh',
    );
    expect(getDatasetFacts).toHaveBeenCalledWith({
      namespace: 'default',
      name: 'card-transactions-raw',
    });
    expect(
      screen.getByText(
        'Objective: changed within 24h. The newest object is 2h old, within 24h',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('1,284')).toBeInTheDocument();
    expect(screen.getByText('3 GiB')).toBeInTheDocument();
    expect(screen.getByText(/2 hours ago/)).toBeInTheDocument();
  });

  it('says why there are no facts and what to do', async () => {
    await render({ getDatasetFacts: async () => refused });
    expect(
      await screen.findByText('No live facts for this Dataset'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/add it there with its endpoint and credentials/),
    ).toBeInTheDocument();
    expect(screen.getByTestId('freshness-unknown')).toBeInTheDocument();
  });

  it('shows a PVC with its used share', async () => {
    await render({ getDatasetFacts: async () => pvc });
    expect(await screen.findByText('Bound')).toBeInTheDocument();
    expect(screen.getByText('5 GiB (25%)')).toBeInTheDocument();
    expect(screen.getByText('fast-ssd')).toBeInTheDocument();
  });

  it('shows the backend’s refusal when the request fails', async () => {
    await render({
      getDatasetFacts: async () => {
        throw new Error('ML backend unreachable');
      },
    });
    expect(
      await screen.findByText(/Could not read the live facts of this Dataset/),
    ).toBeInTheDocument();
  });
});
