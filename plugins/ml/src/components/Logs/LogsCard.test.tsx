import { Entity } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { LogPodsResponse, PodLogsResponse } from '@mlplatform/plugin-ml-common';
import {
  configure,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { mlApiPair } from '../../__testUtils__/fixtures';
import { MlApi } from '../../api';
import { EntityLogsCard } from './EntityLogsCard';
import { LogsCard } from './LogsCard';
import { badWindow, logsWindowHref } from './logsWindow';

jest.setTimeout(30_000);
configure({ asyncUtilTimeout: 10_000 });

const fraudModel: Entity = {
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Model',
  metadata: { name: 'fraud-detector', namespace: 'default' },
  spec: { type: 'classifier', lifecycle: 'production', owner: 'fraud-team' },
};

const PODS: LogPodsResponse = {
  configured: true,
  selector: 'backstage.io/kubernetes-id=fraud-detector',
  errors: [],
  pods: [
    {
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      name: 'fraud-detector-7d9f',
      phase: 'Running',
      containers: [
        { name: 'kserve-container', started: true },
        { name: 'agent', started: true },
      ],
    },
  ],
};

const logsOf = (container: string, texts: string[]): PodLogsResponse => ({
  pod: {
    cluster: 'gpu-cluster-a',
    namespace: 'fraud',
    name: 'fraud-detector-7d9f',
    container,
  },
  tail: 500,
  scanned: texts.length,
  lines: texts.map((text, i) => ({
    time: `2026-11-23T11:5${i}:00.000000000Z`,
    text,
  })),
});

const notConfiguredStore = async () => ({
  configured: false,
  message: 'No log store is configured: set ml.logs.loki.url (docs/logs.md)',
  lines: [],
});

async function responseError(status: number, name: string, message: string) {
  return ResponseError.fromResponse(
    new Response(
      JSON.stringify({
        error: { name, message },
        response: { statusCode: status },
      }),
      { status, headers: { 'content-type': 'application/json' } },
    ),
  );
}

function render(impl: Partial<MlApi>, route = '/') {
  return renderInTestApp(
    <EntityProvider entity={fraudModel}>
      <EntityLogsCard />
    </EntityProvider>,
    {
      apis: [mlApiPair({ getLogStoreLines: notConfiguredStore, ...impl })],
      initialRouteEntries: [route],
    },
  );
}

describe('LogsCard', () => {
  it("shows the first pod's first container, filters and highlights the search, and switches container", async () => {
    const getPodLogs = jest.fn(async (_ref: any, req: any) =>
      req.container === 'agent'
        ? logsOf('agent', ['batching on'])
        : logsOf('kserve-container', [
            'GET /predict 200',
            'GET /predict 500 Timeout',
            'timeout again',
          ]),
    );
    await render({ getLogPods: async () => PODS, getPodLogs });

    const log = await screen.findByRole('log', {
      name: 'Logs of fraud-detector-7d9f/kserve-container',
    });
    expect(within(log).getAllByTestId('log-line')).toHaveLength(3);
    expect(getPodLogs).toHaveBeenCalledWith(
      { kind: 'model', namespace: 'default', name: 'fraud-detector' },
      expect.objectContaining({
        cluster: 'gpu-cluster-a',
        podNamespace: 'fraud',
        pod: 'fraud-detector-7d9f',
        container: 'kserve-container',
        tail: 500,
      }),
    );
    expect(screen.getByText('3 lines (last 500)')).toBeInTheDocument();

    fireEvent.change(screen.getByLabelText('Search loaded lines'), {
      target: { value: 'timeout' },
    });
    expect(
      screen.getByText('2 of 3 lines match "timeout"'),
    ).toBeInTheDocument();
    const lines = within(log).getAllByTestId('log-line');
    expect(lines.map(l => l.textContent)).toEqual([
      '2026-11-23 11:51:00Z GET /predict 500 Timeout',
      '2026-11-23 11:52:00Z timeout again',
    ]);
    expect(
      within(log)
        .getAllByText(/timeout/i, { selector: 'mark' })
        .map(m => m.textContent),
    ).toEqual(['Timeout', 'timeout']);

    fireEvent.change(screen.getByLabelText('Search loaded lines'), {
      target: { value: '' },
    });
    fireEvent.mouseDown(screen.getByRole('button', { name: 'Container' }));
    fireEvent.click(
      within(await screen.findByRole('listbox')).getByRole('option', {
        name: 'agent',
      }),
    );
    const agentLog = await screen.findByRole('log', {
      name: 'Logs of fraud-detector-7d9f/agent',
    });
    await waitFor(() => expect(agentLog).toHaveTextContent('batching on'));
  });

  it('follows: streams the tail and then each new line until switched off', async () => {
    let push: (line: string) => void = () => {};
    let aborted = false;
    async function* followPodLogs(_ref: any, _req: any, signal?: AbortSignal) {
      yield { time: '2026-11-23T11:50:00.000000000Z', text: 'tail line' };
      const queue: string[] = [];
      let wake: () => void = () => {};
      push = l => {
        queue.push(l);
        wake();
      };
      const nextPush = () =>
        new Promise<void>(r => {
          wake = r;
        });
      signal?.addEventListener('abort', () => {
        aborted = true;
        wake();
      });
      while (!signal?.aborted) {
        if (!queue.length) await nextPush();
        while (queue.length) yield { text: queue.shift()! };
      }
    }
    await render({
      getLogPods: async () => PODS,
      getPodLogs: async () => logsOf('kserve-container', ['first read']),
      followPodLogs,
    });
    const log = await screen.findByRole('log', {
      name: 'Logs of fraud-detector-7d9f/kserve-container',
    });
    expect(log).toHaveTextContent('first read');
    fireEvent.click(screen.getByRole('checkbox', { name: 'Follow' }));
    const current = () =>
      screen.getByRole('log', {
        name: 'Logs of fraud-detector-7d9f/kserve-container',
      });
    await waitFor(() => expect(current()).toHaveTextContent('tail line'));
    expect(current()).not.toHaveTextContent('first read');
    push('a new request');
    await waitFor(() => expect(current()).toHaveTextContent('a new request'));
    expect(
      screen.getByText('2 lines (last 500) · following'),
    ).toBeInTheDocument();
    fireEvent.click(screen.getByRole('checkbox', { name: 'Follow' }));
    await waitFor(() => expect(aborted).toBe(true));
    await waitFor(() => expect(current()).toHaveTextContent('first read'));
  });

  it('says what to set when the Model names no pods, and that no log store is configured', async () => {
    await render({
      getLogPods: async () => ({
        configured: false,
        message:
          'This Model names no pods: add annotation backstage.io/kubernetes-id (the label its serving pods carry) or backstage.io/kubernetes-label-selector',
        pods: [],
        errors: [],
      }),
    });
    expect(
      await screen.findByText('No pods to read logs from'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/add annotation backstage.io\/kubernetes-id/),
    ).toBeInTheDocument();
    expect(
      await screen.findByText(
        'No log store is configured: set ml.logs.loki.url (docs/logs.md)',
      ),
    ).toBeInTheDocument();
  });

  it("explains a 403 with the backend's reason and who to ask", async () => {
    const error = await responseError(
      403,
      'NotAllowedError',
      'not allowed to read logs in namespace fraud: permission ml.logs.read denied',
    );
    await render({
      getLogPods: async () => {
        throw error;
      },
    });
    expect(
      await screen.findByText('Warning: You may not read these logs'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /permission ml.logs.read denied\. Logs are readable by the team/,
      ),
    ).toBeInTheDocument();
  });

  it('downloads the lines as a .log file', async () => {
    const downloadPodLogs = jest.fn(async () => 'line 1\n');
    const createObjectURL = jest.fn(() => 'blob:logs');
    (URL as any).createObjectURL = createObjectURL;
    (URL as any).revokeObjectURL = jest.fn();
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(function checkName(this: HTMLAnchorElement) {
        expect(this.download).toBe('fraud-detector-7d9f-kserve-container.log');
      });
    await render({
      getLogPods: async () => PODS,
      getPodLogs: async () => logsOf('kserve-container', ['line 1']),
      downloadPodLogs,
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Download' }));
    await waitFor(() => expect(click).toHaveBeenCalled());
    expect(downloadPodLogs).toHaveBeenCalledWith(
      { kind: 'model', namespace: 'default', name: 'fraud-detector' },
      expect.objectContaining({ container: 'kserve-container', tail: 500 }),
    );
    click.mockRestore();
  });

  it("reads the window the Health card's link puts in the URL, pod logs and log store alike", async () => {
    const getPodLogs = jest.fn(async () =>
      logsOf('kserve-container', ['slow']),
    );
    const getLogStoreLines = jest.fn(async () => ({
      configured: true,
      store: 'loki',
      query: '{namespace="fraud"}',
      lines: [
        {
          time: '2026-11-23T11:50:00Z',
          text: 'from loki',
          labels: { app: 'x' },
        },
      ],
    }));
    const window = {
      start: '2026-11-23T11:40:00.000Z',
      end: '2026-11-23T11:55:00.000Z',
    };
    await render(
      { getLogPods: async () => PODS, getPodLogs, getLogStoreLines },
      `/${logsWindowHref('', window)}`,
    );
    expect(
      await screen.findByText(/Window 2026-11-23 11:40Z – 2026-11-23 11:55Z/),
    ).toBeInTheDocument();
    expect(getPodLogs).toHaveBeenCalledWith(
      expect.anything(),
      expect.objectContaining(window),
    );
    expect(
      await screen.findByRole('log', { name: 'Log store lines' }),
    ).toHaveTextContent('app=x from loki');
    expect(getLogStoreLines).toHaveBeenCalledWith(expect.anything(), window);
  });

  it('reads a notebook through the same card', async () => {
    const getLogPods = jest.fn(async () => ({ ...PODS, pods: [] }));
    await renderInTestApp(
      <LogsCard
        target={{
          kind: 'notebook',
          cluster: 'gpu-cluster-a',
          namespace: 'fraud',
          name: 'ada-nb',
        }}
      />,
      { apis: [mlApiPair({ getLogPods })] },
    );
    expect(await screen.findByText('No pods found')).toBeInTheDocument();
    expect(getLogPods).toHaveBeenCalledWith({
      kind: 'notebook',
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      name: 'ada-nb',
    });
  });
});

describe('badWindow', () => {
  it('spans the points over the threshold, one step either side', () => {
    const points = [0, 60, 120, 180, 240].map((t, i) => ({
      t: 1_800_000_000 + t,
      v: [0.01, 0.2, 0.3, 0.01, 0.01][i],
    }));
    expect(badWindow(points, 0.1)).toEqual({
      start: new Date((1_800_000_000 + 0) * 1000).toISOString(),
      end: new Date((1_800_000_000 + 180) * 1000).toISOString(),
    });
    expect(badWindow(points, 0.5)).toBeUndefined();
  });
});
