import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { GpuQuotaEntityV1alpha1 } from '@mlplatform/plugin-ml-common';
import { screen } from '@testing-library/react';
import {
  fraudQuota,
  mlApiPair,
  nlpQuota,
  quotasWithClusterBDown,
} from '../../__testUtils__/fixtures';
import { MlApi } from '../../api';
import { GpuQuotaUsageCard } from './GpuQuotaUsageCard';

const fraudEntity: GpuQuotaEntityV1alpha1 = {
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'GpuQuota',
  metadata: { name: 'fraud-gpu-quota', namespace: 'default' },
  spec: {
    owner: 'fraud-team',
    cluster: 'gpu-cluster-a',
    namespace: 'fraud',
    source: { type: 'resourcequota', resourceQuota: 'gpu-quota' },
    limits: { gpus: { 'nvidia.com/gpu': 8 }, cpu: '64', memory: '512Gi' },
  },
};

const nlpEntity: GpuQuotaEntityV1alpha1 = {
  ...fraudEntity,
  metadata: { name: 'nlp-gpu-quota', namespace: 'default' },
  spec: {
    owner: 'nlp-team',
    cluster: 'gpu-cluster-b',
    namespace: 'nlp',
    source: { type: 'kueue', clusterQueue: 'nlp-cq', localQueue: 'nlp-lq' },
    limits: { gpus: { 'nvidia.com/gpu': 4, 'nvidia.com/mig-1g.10gb': 14 } },
  },
};

function render(entity: GpuQuotaEntityV1alpha1, impl: Partial<MlApi>) {
  return renderInTestApp(
    <EntityProvider entity={entity}>
      <GpuQuotaUsageCard />
    </EntityProvider>,
    {
      apis: [mlApiPair(impl)],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

jest.setTimeout(30_000);

describe('GpuQuotaUsageCard', () => {
  it("asks for the entity's cluster and namespace and shows the live gauge", async () => {
    const getQuotas = jest.fn(async () => quotasWithClusterBDown);
    await render(fraudEntity, { getQuotas });
    expect(
      await screen.findByRole('img', {
        name: 'nvidia.com/gpu: 5 / 8 used · 3 free · 0 borrowable',
      }),
    ).toBeInTheDocument();
    expect(getQuotas).toHaveBeenCalledWith({
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
    });
    expect(
      screen.getByText('Cluster limits match the catalog'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('1 workload waiting for GPUs.'),
    ).toBeInTheDocument();
    expect(screen.getByText('ResourceQuota gpu-quota')).toBeInTheDocument();
  });

  it('flags where the catalog and the cluster disagree', async () => {
    await render(fraudEntity, {
      getQuotas: async () => ({
        clusters: [{ name: 'gpu-cluster-a', available: true }],
        quotas: [
          {
            ...fraudQuota,
            resources: [
              {
                resource: 'nvidia.com/gpu',
                hard: 6,
                used: 5,
                free: 1,
                borrowable: 0,
              },
              {
                resource: 'nvidia.com/mig-1g.10gb',
                hard: 7,
                used: 0,
                free: 7,
                borrowable: 0,
              },
            ],
          },
        ],
      }),
    });
    expect(
      await screen.findByText(/The catalog and the cluster disagree/),
    ).toBeInTheDocument();
    expect(
      screen.getByText('nvidia.com/gpu: catalog says 8, cluster says 6'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'nvidia.com/mig-1g.10gb: cluster says 7, catalog declares no limit',
      ),
    ).toBeInTheDocument();
  });

  it('adds up flavors of a resource before comparing', async () => {
    await render(nlpEntity, {
      getQuotas: async () => ({
        clusters: [{ name: 'gpu-cluster-b', available: true }],
        quotas: [nlpQuota],
      }),
    });
    expect(
      await screen.findByText('Cluster limits match the catalog'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('No workloads waiting for GPUs.'),
    ).toBeInTheDocument();
  });

  it('says when the cluster is unavailable', async () => {
    await render(nlpEntity, { getQuotas: async () => quotasWithClusterBDown });
    expect(
      await screen.findByText(
        /gpu-cluster-b unavailable: connect ECONNREFUSED 127\.0\.0\.1:6443/,
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole('img')).toBeNull();
  });

  it('says when the cluster is not configured or has no such quota', async () => {
    await render(nlpEntity, {
      getQuotas: async () => ({ clusters: [], quotas: [] }),
    });
    expect(
      await screen.findByText(
        'gpu-cluster-b is not configured in the ML backend',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('ml.kubernetes.clusters')).toBeInTheDocument();
  });

  it('says when the namespace has no GPU quota', async () => {
    await render(fraudEntity, {
      getQuotas: async () => ({
        clusters: [{ name: 'gpu-cluster-a', available: true }],
        quotas: [],
      }),
    });
    expect(
      await screen.findByText('No GPU quota in fraud on gpu-cluster-a'),
    ).toBeInTheDocument();
  });

  it('notes when the named ResourceQuota is missing', async () => {
    await render(fraudEntity, {
      getQuotas: async () => ({
        clusters: [{ name: 'gpu-cluster-a', available: true }],
        quotas: [{ ...fraudQuota, name: 'other-quota' }],
      }),
    });
    expect(
      await screen.findByText(
        /The catalog names ResourceQuota gpu-quota, which fraud on gpu-cluster-a does not have/,
      ),
    ).toBeInTheDocument();
  });

  it('shows the backend error', async () => {
    await render(fraudEntity, {
      getQuotas: async () => {
        throw new Error('ml.quota.read denied');
      },
    });
    expect(
      await screen.findByText(
        /Could not read the live quota of fraud on gpu-cluster-a/,
      ),
    ).toBeInTheDocument();
  });
});
