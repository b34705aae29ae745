import { GpuQuotaEntityV1alpha1 } from '@mlplatform/plugin-ml-common';
import { screen, within } from '@testing-library/react';
import { GpuQuotaOverviewCard } from './GpuQuotaOverviewCard';
import {
  relations,
  renderOnEntityPage,
} from './__testUtils__/renderOnEntityPage';

const quota: GpuQuotaEntityV1alpha1 = {
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'GpuQuota',
  metadata: { name: 'nlp-gpu-quota', namespace: 'default' },
  spec: {
    owner: 'nlp-team',
    cluster: 'gpu-cluster-b',
    namespace: 'nlp',
    source: {
      type: 'kueue',
      clusterQueue: 'nlp-cq',
      localQueue: 'nlp-training',
    },
    limits: {
      gpus: { 'nvidia.com/gpu': 16, 'nvidia.com/mig-1g.10gb': 7 },
      memory: '1Ti',
    },
    borrowingLimit: { gpus: { 'nvidia.com/gpu': 4 } },
  },
  relations: relations([
    ['ownedBy', 'group:default/nlp-team'],
    ['quotaOf', 'pipeline:default/llm-finetune'],
  ]),
};

function row(title: string) {
  return screen.getByText(title).closest('tr') as HTMLElement;
}

describe('GpuQuotaOverviewCard', () => {
  it('shows cluster, queues, limits per GPU resource and borrowing limit', async () => {
    await renderOnEntityPage(quota, <GpuQuotaOverviewCard />);

    expect(
      within(row('Cluster')).getByText('gpu-cluster-b'),
    ).toBeInTheDocument();
    expect(within(row('Namespace')).getByText('nlp')).toBeInTheDocument();
    expect(
      within(row('Source')).getByText(
        'Kueue: ClusterQueue nlp-cq, LocalQueue nlp-training',
      ),
    ).toBeInTheDocument();
    const limits = within(row('Limits'));
    expect(limits.getByText('nvidia.com/gpu: 16')).toBeInTheDocument();
    expect(limits.getByText('nvidia.com/mig-1g.10gb: 7')).toBeInTheDocument();
    expect(limits.getByText('memory: 1Ti')).toBeInTheDocument();
    expect(
      within(row('Borrowing limit')).getByText('nvidia.com/gpu: 4'),
    ).toBeInTheDocument();
    expect(within(row('Used by')).getByRole('link')).toHaveAttribute(
      'href',
      '/catalog/default/pipeline/llm-finetune',
    );
  });

  it('names the ResourceQuota it reads, or all of the namespace', async () => {
    await renderOnEntityPage(
      {
        ...quota,
        spec: {
          ...quota.spec,
          source: { type: 'resourcequota' },
          borrowingLimit: undefined,
        },
      },
      <GpuQuotaOverviewCard />,
    );

    expect(
      within(row('Source')).getByText('ResourceQuota: all in the namespace'),
    ).toBeInTheDocument();
    expect(screen.queryByText('Borrowing limit')).not.toBeInTheDocument();
  });
});
