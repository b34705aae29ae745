import { Entity } from '@backstage/catalog-model';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { StartPipelineRunResponse } from '@mlplatform/plugin-ml-common';
import {
  configure,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { mlApiPair } from '../../__testUtils__/fixtures';
import { MlApi } from '../../api';
import { PipelineRunsCard } from './PipelineRunsCard';
import {
  backendError,
  runsResponse,
  runningRun,
  trainingPipeline,
} from './testData';

// jsdom has no ResizeObserver (recharts' ResponsiveContainer) and no layout.
class ResizeObserverStub {
  constructor(private readonly callback: ResizeObserverCallback) {}
  observe(target: Element) {
    this.callback(
      [{ target, contentRect: { width: 480, height: 140 } } as any],
      this as any,
    );
  }
  unobserve() {}
  disconnect() {}
}
(globalThis as any).ResizeObserver = ResizeObserverStub;

jest.setTimeout(30_000);
// The machine is shared; give slow renders time before failing.
configure({ asyncUtilTimeout: 10_000 });

const authorize = jest.fn();

function render(
  impl: Partial<MlApi>,
  options: { entity?: Entity; allow?: boolean } = {},
) {
  const entity = options.entity ?? trainingPipeline;
  authorize.mockImplementation((request: any) =>
    request.permission.name === 'ml.pipeline.run' &&
    request.resourceRef === `pipeline:default/${entity.metadata.name}` &&
    (options.allow ?? true)
      ? 'ALLOW'
      : 'DENY',
  );
  const permission = mockApis.permission({ authorize: authorize as any });
  return renderInTestApp(
    <EntityProvider entity={entity}>
      <PipelineRunsCard />
    </EntityProvider>,
    {
      apis: [mlApiPair(impl), [permissionApiRef, permission]],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

/** A pipeline of its own per test: usePermission caches answers per resource. */
function pipelineNamed(name: string): Entity {
  return { ...trainingPipeline, metadata: { name, namespace: 'default' } };
}

describe('PipelineRunsCard', () => {
  it('lists the runs with status, start, duration, trigger, parameters, version and links', async () => {
    const getPipelineRuns = jest.fn(async () => runsResponse());
    await render({ getPipelineRuns });

    const table = await screen.findByRole('table', { name: 'Runs' });
    expect(getPipelineRuns).toHaveBeenCalledWith(
      { namespace: 'default', name: 'fraud-detector-training' },
      { limit: 20 },
    );
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(3);

    expect(within(rows[0]).getByTestId('run-status-running')).toHaveTextContent(
      'Running',
    );
    expect(rows[0]).toHaveTextContent('fraud-detector-training-x7k2');
    expect(rows[0]).toHaveTextContent('12 minutes ago');
    expect(rows[0]).toHaveTextContent('12 min 5 s');
    expect(rows[0]).toHaveTextContent('Alert ModelDriftHigh');
    expect(rows[0]).toHaveTextContent('epochs=10');
    expect(rows[0]).toHaveTextContent('learning_rate=0.001');
    expect(
      within(rows[0]).getByRole('link', { name: /Logs of/ }),
    ).toHaveAttribute(
      'href',
      'http://argo.test/workflows/fraud/fraud-detector-training-x7k2?tab=logs',
    );
    expect(
      within(rows[0]).getByRole('link', { name: /Orchestrator of/ }),
    ).toHaveAttribute(
      'href',
      'http://argo.test/workflows/fraud/fraud-detector-training-x7k2',
    );

    expect(
      within(rows[1]).getByTestId('run-status-succeeded'),
    ).toHaveTextContent('Succeeded');
    expect(rows[1]).toHaveTextContent('21 hours ago');
    expect(rows[1]).toHaveTextContent('1 h 5 min');
    expect(rows[1]).toHaveTextContent('Schedule');
    expect(rows[1]).toHaveTextContent('v4');
    expect(
      within(rows[1]).getByRole('link', { name: /Tensorboard of/ }),
    ).toHaveAttribute('href', 'http://tensorboard.test/#scalars&run=q9m4');

    expect(within(rows[2]).getByTestId('run-status-failed')).toHaveAttribute(
      'title',
      'Failed: OOMKilled in step train',
    );
    expect(rows[2]).toHaveTextContent('Manual by guest');
    expect(rows[2]).toHaveTextContent('OOMKilled in step train');
    expect(rows[2]).toHaveTextContent('—');

    expect(
      screen.getByText(
        /argo fraud-detector-training \(gpu-cluster-a \/ fraud\) · every day at 03:00 UTC · next run in 5 h \(\w{3} \d\d:\d\d UTC\)/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('figure', { name: 'Run durations' }),
    ).toBeInTheDocument();
  });

  it('shows the absolute start time on hover', async () => {
    await render({ getPipelineRuns: async () => runsResponse() });
    const table = await screen.findByRole('table', { name: 'Runs' });
    fireEvent.mouseOver(within(table).getByText('12 minutes ago'));
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      /^\d{1,2} \w{3} \d{4}(,| at) \d\d:\d\d UTC$/,
    );
  });

  it('warns with the backend message when the orchestrator is down', async () => {
    const message =
      'argo on gpu-cluster-a did not answer: connect ECONNREFUSED 127.0.0.1:6443';
    let down = true;
    const getPipelineRuns = jest.fn(async () => {
      if (down) throw backendError(503, message);
      return runsResponse();
    });
    await render(
      { getPipelineRuns },
      { entity: pipelineNamed('down-pipeline') },
    );
    expect(
      await screen.findByText(/The orchestrator did not answer/),
    ).toBeInTheDocument();
    expect(screen.getByText(message)).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    // The header still describes the pipeline from the catalog.
    expect(
      screen.getByText(
        /argo fraud-detector-training .* every day at 03:00 UTC/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Start run' })).toBeEnabled();

    // Once it answers again, Refresh shows the runs.
    down = false;
    fireEvent.click(screen.getByRole('button', { name: 'Refresh runs' }));
    expect(
      await screen.findByRole('table', { name: 'Runs' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByText(/The orchestrator did not answer/),
    ).not.toBeInTheDocument();
    expect(getPipelineRuns).toHaveBeenCalledTimes(2);
  });

  it('names the config key when the orchestrator is not configured', async () => {
    await render(
      {
        getPipelineRuns: async () => {
          throw backendError(
            503,
            'Orchestrator airflow is not configured: add ml.pipelines.airflow.baseUrl',
          );
        },
      },
      { entity: pipelineNamed('unconfigured-pipeline') },
    );
    expect(
      await screen.findByText(/Orchestrator not configured/),
    ).toBeInTheDocument();
    expect(
      screen.getByText('ml.pipelines.airflow.baseUrl', { selector: 'code' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByText(/The orchestrator did not answer/),
    ).not.toBeInTheDocument();
  });

  it('shows other errors verbatim', async () => {
    const message = 'Argo WorkflowTemplate fraud/nope not found';
    await render(
      {
        getPipelineRuns: async () => {
          throw backendError(404, message);
        },
      },
      { entity: pipelineNamed('missing-pipeline') },
    );
    expect(
      await screen.findByText(/Could not read the pipeline's runs/),
    ).toBeInTheDocument();
    expect(screen.getByText(message)).toBeInTheDocument();
  });

  it('says when there are no runs yet', async () => {
    await render(
      { getPipelineRuns: async () => runsResponse([]) },
      { entity: pipelineNamed('new-pipeline') },
    );
    expect(await screen.findByText('No runs yet')).toBeInTheDocument();
    expect(
      screen.getByText(/the schedule starts the first one \(next run in 5 h/),
    ).toBeInTheDocument();
    expect(screen.queryByRole('figure')).not.toBeInTheDocument();
  });

  it('disables Start run with the reason when the permission is denied', async () => {
    await render(
      { getPipelineRuns: async () => runsResponse() },
      { allow: false, entity: pipelineNamed('locked-pipeline') },
    );
    await screen.findByRole('table', { name: 'Runs' });
    await waitFor(() =>
      expect(authorize).toHaveBeenCalledWith(
        expect.objectContaining({
          resourceRef: 'pipeline:default/locked-pipeline',
        }),
      ),
    );
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Start run' })).toBeDisabled(),
    );
    fireEvent.mouseOver(
      screen.getByRole('button', { name: 'Start run' }).parentElement!,
    );
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'You are not allowed to start runs of pipeline:default/locked-pipeline',
    );
  });

  it('starts a run with checked parameters, shows it and lists the runs again', async () => {
    let started = false;
    const newRun = {
      ...runningRun,
      id: 'fraud-detector-training-n3w1',
      status: 'pending' as const,
      rawStatus: 'Pending',
      trigger: { type: 'manual' as const, by: 'user:default/guest' },
      parameters: { epochs: '12' },
    };
    const getPipelineRuns = jest.fn(async () =>
      started ? runsResponse([newRun, runningRun]) : runsResponse(),
    );
    const startPipelineRun = jest.fn(
      async (): Promise<StartPipelineRunResponse> => {
        started = true;
        return { run: newRun };
      },
    );
    await render(
      { getPipelineRuns, startPipelineRun },
      { entity: pipelineNamed('fraud-detector-training') },
    );
    await screen.findByRole('table', { name: 'Runs' });
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Start run' })).toBeEnabled(),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Start run' }));
    const dialog = await screen.findByRole('dialog');

    // The names of the last run's parameters, its values as hints.
    expect(within(dialog).getByLabelText('Parameter 1 name')).toHaveValue(
      'epochs',
    );
    expect(within(dialog).getByText('last: 10')).toBeInTheDocument();
    expect(within(dialog).getByLabelText('Parameter 2 name')).toHaveValue(
      'learning_rate',
    );

    const submit = within(dialog).getByRole('button', { name: 'Start run' });
    fireEvent.change(within(dialog).getByLabelText('Parameter 2 name'), {
      target: { value: '2fast' },
    });
    expect(
      within(dialog).getByText(/Start with a letter or _/),
    ).toBeInTheDocument();
    expect(submit).toBeDisabled();
    fireEvent.change(within(dialog).getByLabelText('Parameter 2 name'), {
      target: { value: 'epochs' },
    });
    expect(
      within(dialog).getByText('epochs is given twice'),
    ).toBeInTheDocument();
    expect(submit).toBeDisabled();
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Remove parameter 2' }),
    );
    expect(submit).toBeEnabled();

    fireEvent.change(within(dialog).getByLabelText('Parameter 1 value'), {
      target: { value: '12' },
    });
    fireEvent.click(submit);

    await waitFor(() =>
      expect(startPipelineRun).toHaveBeenCalledWith(
        { namespace: 'default', name: 'fraud-detector-training' },
        { parameters: { epochs: '12' } },
      ),
    );
    const status = await within(dialog).findByRole('status', {
      name: 'Started run',
    });
    expect(status).toHaveTextContent(
      'Started run fraud-detector-training-n3w1',
    );
    expect(
      within(status).getByTestId('run-status-pending'),
    ).toBeInTheDocument();
    await waitFor(() => expect(getPipelineRuns).toHaveBeenCalledTimes(2));

    fireEvent.click(within(dialog).getByRole('button', { name: 'Close' }));
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    const rows = within(screen.getByRole('table', { name: 'Runs' }))
      .getAllByRole('row')
      .slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('fraud-detector-training-n3w1');
  });

  it('shows a refused start verbatim and keeps the dialog open', async () => {
    const message =
      'user:default/guest may not run pipeline:default/refused-pipeline';
    const startPipelineRun = jest.fn(async () => {
      throw backendError(403, message);
    });
    await render(
      { getPipelineRuns: async () => runsResponse(), startPipelineRun },
      { entity: pipelineNamed('refused-pipeline') },
    );
    await screen.findByRole('table', { name: 'Runs' });
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Start run' })).toBeEnabled(),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Start run' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Start run' }));

    expect(await within(dialog).findByRole('alert')).toHaveTextContent(message);
    // Empty values keep the pipeline's defaults: nothing was sent for them.
    expect(startPipelineRun).toHaveBeenCalledWith(
      { namespace: 'default', name: 'refused-pipeline' },
      { parameters: {} },
    );
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });
});
