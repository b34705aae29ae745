import { renderInTestApp } from '@backstage/frontend-test-utils';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { IdleNotebooksResponse } from '@mlplatform/plugin-ml-common';
import { mlApiPair } from '../../__testUtils__/fixtures';
import { IdleGpusCard } from './IdleGpusCard';

jest.setTimeout(30_000);

const base = {
  threshold: 5,
  afterSeconds: 3600,
  checkedAt: '2026-12-04T12:00:00.000Z',
};

const idle: IdleNotebooksResponse = {
  ...base,
  status: 'ok',
  action: 'stop',
  items: [
    {
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      name: 'fraud-eda',
      team: 'group:default/fraud-team',
      createdBy: 'user:default/guest',
      gpus: 2,
      utilization: 1,
      idleSince: '2026-12-04T09:00:00.000Z',
      idleSeconds: 3 * 3600,
      idleAtLeast: false,
      exempt: false,
      warnedAt: '2026-12-04T11:30:00.000Z',
      stopsAt: '2026-12-04T12:30:00.000Z',
    },
    {
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      name: 'forgotten',
      createdBy: 'user:default/guest',
      backend: 'jupyterhub',
      gpus: 1,
      utilization: 0.4,
      idleSince: '2026-12-03T12:00:00.000Z',
      idleSeconds: 86400,
      idleAtLeast: true,
      exempt: true,
    },
  ],
  namespaces: [
    {
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      team: 'group:default/fraud-team',
      gpus: 3,
      notebooks: 2,
    },
  ],
};

describe('IdleGpusCard', () => {
  it('sums idle GPUs per namespace and describes each notebook', async () => {
    const getIdleNotebooks = jest.fn(async () => idle);
    await renderInTestApp(<IdleGpusCard team="group:default/fraud-team" />, {
      apis: [mlApiPair({ getIdleNotebooks })],
    });
    expect(
      await screen.findByText(
        '3 GPUs held by 2 idle notebooks in fraud on gpu-cluster-a',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText(/idle for 3h at 1% GPU/)).toBeInTheDocument();
    expect(
      screen.getByText(/idle for at least 1d at 0.4% GPU/),
    ).toBeInTheDocument();
    expect(screen.getByText('exempt')).toBeInTheDocument();
    // The JupyterHub server is marked as one; the Kubernetes notebook not.
    expect(screen.getAllByText('JupyterHub')).toHaveLength(1);
    expect(screen.getByText('JupyterHub').closest('li')?.textContent).toContain(
      'forgotten',
    );
    expect(
      screen.getByText(
        /stopped after a warning to their owner, unless their owner exempts them \(mlplatform.io\/idle-policy: exempt\)/,
      ),
    ).toBeInTheDocument();
    expect(getIdleNotebooks).toHaveBeenCalledWith({
      team: 'group:default/fraud-team',
      cluster: undefined,
    });
    // Everyone's view: owners shown, no opt-out buttons.
    expect(screen.getAllByText(/user:default\/guest/)).toHaveLength(2);
    expect(screen.queryByRole('button', { name: /idle policy/ })).toBeNull();
  });

  it('lets the owner exempt a notebook from the policy', async () => {
    const setNotebookIdlePolicy = jest.fn(async () => undefined);
    const exempted: IdleNotebooksResponse = {
      ...idle,
      items: idle.items.map(n => ({ ...n, exempt: true })),
    };
    const getIdleNotebooks = jest
      .fn()
      .mockResolvedValueOnce(idle)
      .mockResolvedValue(exempted);
    await renderInTestApp(<IdleGpusCard mine />, {
      apis: [mlApiPair({ getIdleNotebooks, setNotebookIdlePolicy })],
    });
    fireEvent.click(
      await screen.findByRole('button', { name: 'Exempt from idle policy' }),
    );
    await waitFor(() =>
      expect(setNotebookIdlePolicy).toHaveBeenCalledWith(
        expect.objectContaining({
          cluster: 'gpu-cluster-a',
          namespace: 'fraud',
          name: 'fraud-eda',
        }),
        { policy: 'exempt' },
      ),
    );
    expect(getIdleNotebooks).toHaveBeenCalledWith({ mine: 'true' });
    await waitFor(() =>
      expect(
        screen.getAllByRole('button', { name: 'Apply idle policy' }),
      ).toHaveLength(2),
    );
  });

  it.each([
    [
      'no-prometheus',
      'Idle GPUs are not configured',
      'set ml.prometheus.url to a Prometheus that scrapes the NVIDIA DCGM exporter.',
    ],
    [
      'no-dcgm',
      'No GPU utilisation metrics',
      'deploy the NVIDIA DCGM exporter and let this Prometheus scrape it.',
    ],
  ] as const)(
    'says why there is no data: %s',
    async (status, title, message) => {
      await renderInTestApp(<IdleGpusCard mine />, {
        apis: [
          mlApiPair({
            getIdleNotebooks: async () => ({
              ...base,
              status,
              message,
              items: [],
              namespaces: [],
            }),
          }),
        ],
      });
      expect(await screen.findByText(`Info: ${title}`)).toBeInTheDocument();
      expect(screen.getByText(message)).toBeInTheDocument();
    },
  );

  it('says when nothing is idle', async () => {
    await renderInTestApp(<IdleGpusCard mine />, {
      apis: [
        mlApiPair({
          getIdleNotebooks: async () => ({
            ...base,
            status: 'ok',
            items: [],
            namespaces: [],
          }),
        }),
      ],
    });
    expect(
      await screen.findByText('None of your notebooks is idle'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('No notebook holds GPUs below 5% for longer than 1h.'),
    ).toBeInTheDocument();
  });
});
