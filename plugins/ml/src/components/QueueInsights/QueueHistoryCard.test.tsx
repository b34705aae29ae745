import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  configure,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import {
  QueueHistoryPoint,
  QueueHistoryQuery,
  QueueHistoryResponse,
} from '@mlplatform/plugin-ml-common';
import { allQuotas, mlApiPair } from '../../__testUtils__/fixtures';
import { clusterQueues, QueueHistoryCard } from './QueueHistoryCard';

// jsdom has no ResizeObserver, which recharts' ResponsiveContainer needs.
class ResizeObserverStub {
  constructor(private readonly callback: ResizeObserverCallback) {}
  observe(target: Element) {
    this.callback(
      [{ target, contentRect: { width: 400, height: 160 } } as any],
      this as any,
    );
  }
  unobserve() {}
  disconnect() {}
}
(globalThis as any).ResizeObserver = ResizeObserverStub;

jest.setTimeout(30_000);
configure({ asyncUtilTimeout: 10_000 });

const points = (values: Array<number | null>): QueueHistoryPoint[] =>
  values.map((v, i) => ({ t: 1_795_000_000 + i * 7200, v }));

function history(queue: string): QueueHistoryResponse {
  return {
    cluster: 'gpu-cluster-a',
    queue,
    days: 7,
    stepSeconds: 7200,
    flavors: [
      {
        flavor: 'a100-80gb',
        resource: 'nvidia.com/gpu',
        usage: points([2, 2, 6, 6]),
        nominalQuota: points([8, 8, 8, 8]),
      },
    ],
    pending: {
      active: points([0, 0, 3, 3]),
      inadmissible: points([1, 1, 1, 1]),
    },
    admissions: points([2, 2, 2, null]),
    admissionsSource: 'kueue-metrics',
    preemptions: points([0, 4, 0, 0]),
    method: 'Kueue metrics in Prometheus',
  };
}

describe('QueueHistoryCard', () => {
  it('lists each Kueue ClusterQueue of the quotas once', () => {
    expect(clusterQueues(allQuotas.quotas)).toEqual([
      { cluster: 'gpu-cluster-a', queue: 'recsys-cq' },
      { cluster: 'gpu-cluster-b', queue: 'nlp-cq' },
    ]);
  });

  it("charts the first queue's week, then another queue and window when picked", async () => {
    const getQueueHistory = jest.fn(async ({ queue }: QueueHistoryQuery) =>
      history(queue),
    );
    const { container } = await renderInTestApp(
      <QueueHistoryCard quotas={allQuotas.quotas} />,
      { apis: [mlApiPair({ getQueueHistory })] },
    );
    await screen.findByRole('figure', {
      name: 'GPU usage · a100-80gb (gpu) chart',
    });
    expect(getQueueHistory).toHaveBeenCalledWith({
      cluster: 'gpu-cluster-a',
      queue: 'recsys-cq',
      days: 7,
    });
    for (const title of [
      'GPU usage · a100-80gb (gpu)',
      'Pending workloads',
      'Admissions and preemptions per 2 h',
    ]) {
      expect(
        within(
          screen.getByRole('figure', { name: `${title} chart` }),
        ).queryByText('No data in this window'),
      ).not.toBeInTheDocument();
    }
    await waitFor(() =>
      expect(container.querySelectorAll('.recharts-wrapper').length).toBe(3),
    );
    expect(screen.getByText('nominal quota')).toBeInTheDocument();

    fireEvent.mouseDown(screen.getByRole('button', { name: 'ClusterQueue' }));
    fireEvent.click(
      await screen.findByRole('option', { name: 'nlp-cq (gpu-cluster-b)' }),
    );
    await waitFor(() =>
      expect(getQueueHistory).toHaveBeenLastCalledWith({
        cluster: 'gpu-cluster-b',
        queue: 'nlp-cq',
        days: 7,
      }),
    );
    fireEvent.mouseDown(screen.getByRole('button', { name: 'Days' }));
    fireEvent.click(await screen.findByRole('option', { name: '30 days' }));
    await waitFor(() =>
      expect(getQueueHistory).toHaveBeenLastCalledWith({
        cluster: 'gpu-cluster-b',
        queue: 'nlp-cq',
        days: 30,
      }),
    );
  });

  it("shows the backend's refusal", async () => {
    await renderInTestApp(<QueueHistoryCard quotas={allQuotas.quotas} />, {
      apis: [
        mlApiPair({
          getQueueHistory: async () => {
            throw new Error(
              'Queue history comes from Prometheus, and ml.prometheus is not configured',
            );
          },
        }),
      ],
    });
    expect(
      (await screen.findAllByText(/ml.prometheus is not configured/)).length,
    ).toBeGreaterThan(0);
  });

  it('says when the quotas have no Kueue queue', async () => {
    await renderInTestApp(
      <QueueHistoryCard
        quotas={allQuotas.quotas.filter(q => q.source !== 'kueue')}
      />,
      { apis: [mlApiPair({})] },
    );
    expect(screen.getByText('No Kueue queues here')).toBeInTheDocument();
  });
});
