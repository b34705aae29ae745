import { renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { fireEvent, screen, within } from '@testing-library/react';
import {
  allQuotas,
  mlApiPair,
  NOW,
  quotasWithClusterBDown,
} from '../../__testUtils__/fixtures';
import { GpuQuotasPage } from './GpuQuotasPage';

const mountedRoutes = { '/catalog/:namespace/:kind/:name': entityRouteRef };

function card(title: string) {
  return screen
    .getByText(title)
    .closest('[class*="MuiCard-root"]') as HTMLElement;
}

// Each test renders a whole test app; on a busy 2-core machine that can
// take longer than jest's 5 s default.
jest.setTimeout(30_000);

describe('GpuQuotasPage', () => {
  it('shows a gauge per resource and flavor with the exact numbers, grouped by team', async () => {
    await renderInTestApp(<GpuQuotasPage now={NOW} />, {
      apis: [mlApiPair({ getQuotas: async () => allQuotas })],
      mountedRoutes,
    });

    expect(
      await screen.findByRole('heading', { name: 'fraud-team' }),
    ).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'recsys-team' })).toHaveAttribute(
      'href',
      '/catalog/default/group/recsys-team',
    );

    const fraud = within(card('fraud on gpu-cluster-a'));
    expect(fraud.getByText('ResourceQuota gpu-quota')).toBeInTheDocument();
    expect(
      fraud.getByRole('img', {
        name: 'nvidia.com/gpu: 5 / 8 used · 3 free · 0 borrowable',
      }),
    ).toBeInTheDocument();

    const recsys = within(card('recsys on gpu-cluster-a'));
    expect(
      recsys.getByText(
        'ClusterQueue recsys-cq · LocalQueue recsys-lq · cohort gpu-pool',
      ),
    ).toBeInTheDocument();
    expect(
      recsys.getByText('12 / 16 used · 14 reserved · 4 free · 6 borrowable'),
    ).toBeInTheDocument();
    expect(recsys.getByText(/borrowing limit 8/)).toBeInTheDocument();

    const nlp = within(card('nlp on gpu-cluster-b'));
    expect(
      nlp.getByRole('img', {
        name: 'nvidia.com/gpu (h100): 4 / 4 used · 0 free · 0 borrowable',
      }),
    ).toBeInTheDocument();
    expect(
      nlp.getByRole('img', {
        name: 'nvidia.com/mig-1g.10gb (a100-mig): 9 / 14 used · 5 free · 7 borrowable',
      }),
    ).toBeInTheDocument();
    expect(nlp.getByText('No workloads waiting for GPUs.')).toBeInTheDocument();
  });

  it('lists pending workloads with queue, GPUs asked, reason, message and wait', async () => {
    await renderInTestApp(<GpuQuotasPage now={NOW} />, {
      apis: [mlApiPair({ getQuotas: async () => allQuotas })],
      mountedRoutes,
    });
    await screen.findByText('recsys on gpu-cluster-a');
    const row = screen
      .getByText('job-ranker-train-5f2c1')
      .closest('tr') as HTMLElement;
    const cells = within(row);
    expect(cells.getByText('recsys-lq')).toBeInTheDocument();
    expect(cells.getByText('8 × nvidia.com/gpu')).toBeInTheDocument();
    expect(cells.getByText('QuotaReserved=False')).toBeInTheDocument();
    expect(
      cells.getByText(/insufficient unused quota for nvidia.com\/gpu/),
    ).toBeInTheDocument();
    expect(cells.getByText('3 hours ago')).toBeInTheDocument();

    const podRow = screen
      .getByText('fraud-train-xl-0')
      .closest('tr') as HTMLElement;
    expect(within(podRow).getByText('FailedCreate')).toBeInTheDocument();
    expect(within(podRow).getByText('12 minutes ago')).toBeInTheDocument();
  });

  it("shows each workload's place in line and its reason in plain words", async () => {
    const [cluster, ...others] = allQuotas.quotas;
    const withPositions = {
      clusters: allQuotas.clusters,
      quotas: [
        cluster,
        ...others.map(q => ({
          ...q,
          pending: q.pending.map(p => ({
            ...p,
            kueueReason: 'Pending',
            positionInClusterQueue: 3,
            positionInLocalQueue: 1,
            explanation:
              "Waiting: the team's queue needs 2 more A100-80GB GPUs than are free; 3 workloads are ahead of it (1 from its own team's queue)",
          })),
        })),
      ],
    };
    await renderInTestApp(<GpuQuotasPage now={NOW} />, {
      apis: [mlApiPair({ getQuotas: async () => withPositions })],
      mountedRoutes,
    });
    await screen.findByText('recsys on gpu-cluster-a');
    const cells = within(
      screen.getByText('job-ranker-train-5f2c1').closest('tr') as HTMLElement,
    );
    expect(cells.getByText('3 ahead')).toBeInTheDocument();
    expect(cells.getByText("1 from its team's queue")).toBeInTheDocument();
    expect(
      cells.getByText(/^Waiting: the team's queue needs 2 more A100-80GB GPUs/),
    ).toBeInTheDocument();
    expect(cells.getByText('QuotaReserved=False')).toBeInTheDocument();
  });

  it('says when queue positions are missing and why', async () => {
    const note =
      "Queue positions are not shown: the portal may not read Kueue's visibility API on gpu-cluster-a (403); grant it get on clusterqueues/pendingworkloads in visibility.kueue.x-k8s.io.";
    await renderInTestApp(<GpuQuotasPage now={NOW} />, {
      apis: [
        mlApiPair({
          getQuotas: async () => ({
            ...allQuotas,
            clusters: [
              {
                name: 'gpu-cluster-a',
                available: true,
                queuePositions: 'forbidden' as const,
                notes: [note],
              },
              allQuotas.clusters[1],
            ],
          }),
        }),
      ],
      mountedRoutes,
    });
    expect(await screen.findByText(`Info: ${note}`)).toBeInTheDocument();
    const cells = within(
      screen.getByText('job-ranker-train-5f2c1').closest('tr') as HTMLElement,
    );
    expect(cells.getByText('—', { selector: 'td' })).toBeInTheDocument();
  });

  it('warns about an unavailable cluster and still shows the others', async () => {
    await renderInTestApp(<GpuQuotasPage now={NOW} />, {
      apis: [mlApiPair({ getQuotas: async () => quotasWithClusterBDown })],
      mountedRoutes,
    });
    expect(
      await screen.findByText(
        /gpu-cluster-b unavailable: connect ECONNREFUSED 127\.0\.0\.1:6443$/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('fraud on gpu-cluster-a')).toBeInTheDocument();
    expect(screen.getByText('recsys on gpu-cluster-a')).toBeInTheDocument();
    expect(screen.queryByText(/gpu-cluster-a unavailable/)).toBeNull();
  });

  it('filters by team and cluster from the URL and the selects', async () => {
    await renderInTestApp(<GpuQuotasPage now={NOW} />, {
      apis: [mlApiPair({ getQuotas: async () => allQuotas })],
      mountedRoutes,
      initialRouteEntries: ['/?cluster=gpu-cluster-b'],
    });
    expect(await screen.findByText('nlp on gpu-cluster-b')).toBeInTheDocument();
    expect(screen.queryByText('fraud on gpu-cluster-a')).toBeNull();

    fireEvent.mouseDown(screen.getByLabelText('Cluster'));
    fireEvent.click(
      within(screen.getByRole('listbox')).getByText('gpu-cluster-a'),
    );
    expect(
      await screen.findByText('fraud on gpu-cluster-a'),
    ).toBeInTheDocument();

    fireEvent.mouseDown(screen.getByLabelText('Team'));
    fireEvent.click(
      within(screen.getByRole('listbox')).getByText('recsys-team'),
    );
    expect(
      await screen.findByText('recsys on gpu-cluster-a'),
    ).toBeInTheDocument();
    expect(screen.queryByText('fraud on gpu-cluster-a')).toBeNull();
  });

  it('says when filters match nothing and clears them', async () => {
    await renderInTestApp(<GpuQuotasPage now={NOW} />, {
      apis: [mlApiPair({ getQuotas: async () => allQuotas })],
      mountedRoutes,
      initialRouteEntries: [
        '/?team=group:default/nlp-team&cluster=gpu-cluster-a',
      ],
    });
    expect(
      await screen.findByText('No quotas match these filters'),
    ).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    expect(await screen.findByText('nlp on gpu-cluster-b')).toBeInTheDocument();
  });

  it('explains how to configure clusters when there are none', async () => {
    await renderInTestApp(<GpuQuotasPage />, {
      apis: [
        mlApiPair({ getQuotas: async () => ({ clusters: [], quotas: [] }) }),
      ],
      mountedRoutes,
    });
    expect(
      await screen.findByText('No Kubernetes clusters configured'),
    ).toBeInTheDocument();
    expect(screen.getByText('ml.kubernetes.clusters')).toBeInTheDocument();
  });

  it('says which clusters answered when they have no quota', async () => {
    await renderInTestApp(<GpuQuotasPage />, {
      apis: [
        mlApiPair({
          getQuotas: async () => ({
            clusters: quotasWithClusterBDown.clusters,
            quotas: [],
          }),
        }),
      ],
      mountedRoutes,
    });
    expect(
      await screen.findByText('No GPU quotas on the configured clusters'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/gpu-cluster-a answered, but no namespace/),
    ).toBeInTheDocument();
    expect(screen.getByText(/gpu-cluster-b unavailable/)).toBeInTheDocument();
  });

  it('shows the backend error when quotas cannot be read', async () => {
    await renderInTestApp(<GpuQuotasPage />, {
      apis: [
        mlApiPair({
          getQuotas: async () => {
            throw new Error('ml.quota.read denied');
          },
        }),
      ],
      mountedRoutes,
    });
    expect(
      await screen.findByText(/Could not load GPU quotas/),
    ).toBeInTheDocument();
    expect(screen.getAllByText(/ml.quota.read denied/).length).toBeGreaterThan(
      0,
    );
  });
});
