import { Entity } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { RunTensorBoardResponse } from '@mlplatform/plugin-ml-common';
import {
  configure,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { mlApiPair } from '../../__testUtils__/fixtures';
import { MlApi } from '../../api';
import { ExperimentRunsCard } from './ExperimentRunsCard';
import { chartsByTag } from './RunTensorBoardDialog';
import { baseline, fraudModel, lowLr, runsResponse } from './testData';

// jsdom has no ResizeObserver (recharts' ResponsiveContainer) and no layout.
class ResizeObserverStub {
  constructor(private readonly callback: ResizeObserverCallback) {}
  observe(target: Element) {
    this.callback(
      [{ target, contentRect: { width: 480, height: 200 } } as any],
      this as any,
    );
  }
  unobserve() {}
  disconnect() {}
}
(globalThis as any).ResizeObserver = ResizeObserverStub;

jest.setTimeout(30_000);
configure({ asyncUtilTimeout: 10_000 });

const LOG_DIR = '/mnt/tensorboard/fraud-detector/low-lr';
const withLogDir = { ...lowLr, tensorboardLogDir: LOG_DIR };
const points = (values: number[]) =>
  values.map((value, step) => ({ step, wallTime: 1_700_000_000_000, value }));
const scalarsResponse: RunTensorBoardResponse = {
  configured: true,
  runId: lowLr.id,
  logDir: LOG_DIR,
  url: 'https://tensorboard.example.com/?runFilter=%5Efraud-detector%2Flow-lr(%24%7C%2F)#timeseries',
  tags: ['loss', 'val_auc'],
  scalars: [
    { dir: 'eval', tag: 'val_auc', points: points([0.7, 0.8, 0.9]) },
    { dir: 'train', tag: 'loss', points: points([1.2, 0.6, 0.3]) },
    { dir: 'eval', tag: 'loss', points: points([1.3, 0.7, 0.4]) },
  ],
};

function render(impl: Partial<MlApi>, entity: Entity = fraudModel) {
  return renderInTestApp(
    <EntityProvider entity={entity}>
      <ExperimentRunsCard />
    </EntityProvider>,
    {
      apis: [
        mlApiPair({
          getExperimentRuns: async () => runsResponse([withLogDir, baseline]),
          ...impl,
        }),
      ],
    },
  );
}

async function openTensorBoard() {
  const table = await screen.findByRole('table', { name: 'Experiment runs' });
  const rows = within(table).getAllByRole('row');
  // Only the run that wrote event files has the button.
  expect(
    within(rows[2]).queryByRole('button', { name: /TensorBoard/ }),
  ).not.toBeInTheDocument();
  fireEvent.click(
    within(rows[1]).getByRole('button', { name: 'TensorBoard of low-lr' }),
  );
  return screen.findByRole('dialog');
}

describe("A run's TensorBoard", () => {
  it('shows one chart per tag with a line per directory, and opens TensorBoard on the run', async () => {
    const getRunTensorBoard = jest.fn(async () => scalarsResponse);
    await render({ getRunTensorBoard });
    const dialog = await openTensorBoard();

    expect(
      await within(dialog).findByRole('figure', { name: 'loss chart' }),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByRole('figure', { name: 'val_auc chart' }),
    ).toBeInTheDocument();
    expect(within(dialog).getByText(LOG_DIR)).toBeInTheDocument();
    expect(
      within(dialog).getByRole('link', { name: /Open TensorBoard/ }),
    ).toHaveAttribute(
      'href',
      scalarsResponse.configured && scalarsResponse.url,
    );
    expect(getRunTensorBoard).toHaveBeenCalledWith(
      { kind: 'model', namespace: 'default', name: 'fraud-detector' },
      lowLr.id,
    );
  });

  it("starts the run's own TensorBoard on the cluster the backend names", async () => {
    const startRunTensorBoard = jest.fn(async () => ({
      runId: lowLr.id,
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      name: `tb-${lowLr.id}`,
      logspath: 'pvc://fraud-tensorboard/fraud-detector/low-lr',
      url: `https://kubeflow.example.com/tensorboard/fraud/tb-${lowLr.id}/`,
      created: true,
      ready: false,
    }));
    await render({
      getRunTensorBoard: async () => ({
        ...scalarsResponse,
        cluster: 'gpu-cluster-a',
      }),
      startRunTensorBoard,
    });
    const dialog = await openTensorBoard();
    fireEvent.click(
      await within(dialog).findByRole('button', {
        name: 'Start on gpu-cluster-a',
      }),
    );
    const status = await within(dialog).findByRole('status');
    expect(status).toHaveTextContent(
      `TensorBoard tb-${lowLr.id} in fraud on gpu-cluster-a created; starting`,
    );
    expect(
      within(status).getByRole('link', { name: 'open it' }),
    ).toHaveAttribute(
      'href',
      `https://kubeflow.example.com/tensorboard/fraud/tb-${lowLr.id}/`,
    );
    expect(startRunTensorBoard).toHaveBeenCalledWith(
      { kind: 'model', namespace: 'default', name: 'fraud-detector' },
      lowLr.id,
    );
  });

  it('stops the started TensorBoard, and says why when the backend refuses', async () => {
    const launch = {
      runId: lowLr.id,
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      name: `tb-${lowLr.id}`,
      logspath: 'pvc://fraud-tensorboard/fraud-detector/low-lr',
      url: `https://kubeflow.example.com/tensorboard/fraud/tb-${lowLr.id}/`,
      created: false,
      ready: true,
    };
    const stopRunTensorBoard = jest
      .fn()
      .mockRejectedValueOnce(
        Object.assign(new Error('Request failed with 403 Forbidden'), {
          body: {
            error: {
              name: 'NotAllowedError',
              message: `TensorBoard tb-${lowLr.id} in fraud on gpu-cluster-a was started by user:default/ada; only its creator stops it`,
            },
          },
        }),
      )
      .mockResolvedValueOnce(undefined);
    await render({
      getRunTensorBoard: async () => ({
        ...scalarsResponse,
        cluster: 'gpu-cluster-a',
      }),
      startRunTensorBoard: async () => launch,
      stopRunTensorBoard,
    });
    const dialog = await openTensorBoard();
    fireEvent.click(
      await within(dialog).findByRole('button', {
        name: 'Start on gpu-cluster-a',
      }),
    );
    const stop = await within(dialog).findByRole('button', {
      name: `Stop TensorBoard tb-${lowLr.id}`,
    });
    fireEvent.click(stop);
    expect(
      await within(dialog).findByText(/only its creator stops it/),
    ).toBeInTheDocument();
    fireEvent.click(stop);
    await waitFor(() =>
      expect(within(dialog).getByRole('status')).toHaveTextContent(
        `TensorBoard tb-${lowLr.id} in fraud on gpu-cluster-a stopped.`,
      ),
    );
    expect(stopRunTensorBoard).toHaveBeenCalledTimes(2);
    expect(stopRunTensorBoard).toHaveBeenCalledWith(
      { kind: 'model', namespace: 'default', name: 'fraud-detector' },
      lowLr.id,
    );
    expect(
      within(dialog).queryByRole('button', { name: /^Stop TensorBoard/ }),
    ).not.toBeInTheDocument();
  });

  it('offers no start without a cluster', async () => {
    await render({ getRunTensorBoard: async () => scalarsResponse });
    const dialog = await openTensorBoard();
    await within(dialog).findByRole('figure', { name: 'loss chart' });
    expect(
      within(dialog).queryByRole('button', { name: /^Start on/ }),
    ).not.toBeInTheDocument();
  });

  it('says why when there is nothing to show', async () => {
    await render({
      getRunTensorBoard: async () => ({
        configured: false,
        runId: lowLr.id,
        reason: 'No TensorBoard is configured: set ml.tensorboard.url',
      }),
    });
    const dialog = await openTensorBoard();
    expect(
      await within(dialog).findByText(/set ml\.tensorboard\.url/),
    ).toBeInTheDocument();
    expect(
      within(dialog).queryByRole('link', { name: /Open TensorBoard/ }),
    ).not.toBeInTheDocument();
  });

  it("shows the backend's refusal", async () => {
    const refusal = await ResponseError.fromResponse(
      new Response(
        JSON.stringify({
          error: {
            name: 'InputError',
            message:
              'The run\'s mlplatform.io/tensorboard-logdir tag "/etc" is outside the configured log roots',
          },
          response: { statusCode: 400 },
        }),
        { status: 400, headers: { 'content-type': 'application/json' } },
      ),
    );
    await render({
      getRunTensorBoard: async () => {
        throw refusal;
      },
    });
    const dialog = await openTensorBoard();
    expect(
      await within(dialog).findByText(/TensorBoard refused for this run/),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByText(/is outside the configured log roots/),
    ).toBeInTheDocument();
  });

  it('groups series by tag, lines by directory', () => {
    const { metrics, lines } = chartsByTag(
      scalarsResponse.configured ? scalarsResponse.scalars : [],
    );
    expect(metrics.map(m => [m.name, Object.keys(m.histories).sort()])).toEqual(
      [
        ['loss', ['eval', 'train']],
        ['val_auc', ['eval']],
      ],
    );
    expect(lines).toEqual([
      { id: 'eval', name: 'eval' },
      { id: 'train', name: 'train' },
    ]);
  });
});
