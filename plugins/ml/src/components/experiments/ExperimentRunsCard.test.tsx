import { Entity } from '@backstage/catalog-model';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { ResponseError } from '@backstage/errors';
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
import {
  baseline,
  compareResponse,
  diverged,
  fraudModel,
  lowLr,
  runsResponse,
} from './testData';

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

function render(impl: Partial<MlApi>, entity: Entity = fraudModel) {
  return renderInTestApp(
    <EntityProvider entity={entity}>
      <ExperimentRunsCard />
    </EntityProvider>,
    { apis: [mlApiPair(impl)] },
  );
}

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

async function choose(selectLabel: string, option: string) {
  fireEvent.mouseDown(
    screen.getByRole('button', { name: new RegExp(`^${selectLabel}`) }),
  );
  fireEvent.click(
    within(await screen.findByRole('listbox')).getByRole('option', {
      name: option,
    }),
  );
}

describe('ExperimentRunsCard', () => {
  it('lists the runs with status, start, duration, user, commit, key params, metrics and links', async () => {
    const getExperimentRuns = jest.fn(async () => runsResponse());
    await render({ getExperimentRuns });

    const table = await screen.findByRole('table', { name: 'Experiment runs' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(4);
    const low = within(rows[1]);
    expect(low.getByTestId('run-status-succeeded')).toBeInTheDocument();
    expect(
      low.getByRole('link', { name: /^low-lr in MLflow/ }),
    ).toHaveAttribute('href', lowLr.url);
    expect(
      low.getByRole('link', { name: /^fraud-detector v1/ }),
    ).toHaveAttribute(
      'href',
      'http://mlflow.example.com/#/models/fraud-detector/versions/1',
    );
    expect(low.getByText('6 min')).toBeInTheDocument();
    expect(low.getByText('ada')).toBeInTheDocument();
    expect(low.getByText('9f8e7d6')).toBeInTheDocument();
    expect(low.getByText('0.01')).toBeInTheDocument();
    expect(low.getByText('0.95')).toBeInTheDocument();
    expect(
      within(rows[3]).getByTestId('run-status-failed'),
    ).toBeInTheDocument();
    // The failed run has no commit tag and never logged val_auc.
    expect(within(rows[3]).getAllByText('—')).toHaveLength(2);
    expect(
      screen.getByRole('link', { name: /^fraud-detector,/ }),
    ).toHaveAttribute('href', 'http://mlflow.example.com/#/experiments/1');
    expect(getExperimentRuns).toHaveBeenCalledWith(
      { kind: 'model', namespace: 'default', name: 'fraud-detector' },
      { orderBy: 'start', direction: 'desc' },
    );
  });

  it('filters by status and sorts by a metric through the API', async () => {
    const getExperimentRuns = jest.fn(async () => runsResponse());
    await render({ getExperimentRuns });
    await screen.findByRole('table', { name: 'Experiment runs' });

    await choose('Status', 'Failed');
    await waitFor(() =>
      expect(getExperimentRuns).toHaveBeenLastCalledWith(expect.anything(), {
        orderBy: 'start',
        direction: 'desc',
        status: 'failed',
      }),
    );
    await choose('Sort', 'val_auc, highest first');
    await waitFor(() =>
      expect(getExperimentRuns).toHaveBeenLastCalledWith(expect.anything(), {
        orderBy: 'metric',
        metric: 'val_auc',
        direction: 'desc',
        status: 'failed',
      }),
    );
  });

  it('compares 2-5 picked runs: one chart per metric and the differing parameters highlighted', async () => {
    const compareExperimentRuns = jest.fn(async () => compareResponse);
    await render({
      getExperimentRuns: async () => runsResponse(),
      compareExperimentRuns,
    });
    await screen.findByRole('table', { name: 'Experiment runs' });
    const compare = screen.getByRole('button', { name: /^Compare/ });
    expect(compare).toBeDisabled();
    expect(screen.getByText('Pick 2–5 runs to compare')).toBeInTheDocument();

    fireEvent.click(screen.getByRole('checkbox', { name: 'Compare low-lr' }));
    expect(compare).toBeDisabled();
    fireEvent.click(screen.getByRole('checkbox', { name: 'Compare baseline' }));
    expect(compare).toBeEnabled();
    fireEvent.click(compare);

    const dialog = await screen.findByRole('dialog');
    expect(compareExperimentRuns).toHaveBeenCalledWith(
      { kind: 'model', namespace: 'default', name: 'fraud-detector' },
      { runs: [lowLr.id, baseline.id] },
    );
    const charts = await within(dialog).findAllByRole('figure');
    expect(charts.map(c => c.getAttribute('aria-label'))).toEqual([
      'loss chart',
      'val_auc chart',
    ]);
    const diff = within(dialog).getByRole('table', { name: 'Parameter diff' });
    const [, epochs, lr] = within(diff).getAllByRole('row');
    expect(lr).toHaveAttribute('data-differs', 'true');
    expect(within(lr).getByText('differs')).toBeInTheDocument();
    expect(within(lr).getByText('0.1')).toBeInTheDocument();
    expect(within(lr).getByText('0.01')).toBeInTheDocument();
    expect(epochs).toHaveAttribute('data-differs', 'false');
    expect(within(epochs).queryByText('differs')).toBeNull();

    fireEvent.click(
      within(dialog).getByLabelText(/Only the 1 differing parameter/),
    );
    expect(within(diff).getAllByRole('row')).toHaveLength(2);
  });

  it('shows why a comparison was refused', async () => {
    await render({
      getExperimentRuns: async () => runsResponse(),
      compareExperimentRuns: async () => {
        throw await responseError(
          400,
          'InputError',
          'Run r3 belongs to experiment 7, not to "fraud-detector"',
        );
      },
    });
    await screen.findByRole('table', { name: 'Experiment runs' });
    fireEvent.click(screen.getByRole('checkbox', { name: 'Compare low-lr' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Compare diverged' }));
    fireEvent.click(screen.getByRole('button', { name: /^Compare/ }));
    expect(
      await screen.findByText(/belongs to experiment 7/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/Could not compare these runs/),
    ).toBeInTheDocument();
  });

  it('lets no more than five runs be picked', async () => {
    const many = Array.from({ length: 6 }, (_, i) => ({
      ...diverged,
      id: `x${i}`,
      name: `run-${i}`,
    }));
    await render({ getExperimentRuns: async () => runsResponse(many) });
    await screen.findByRole('table', { name: 'Experiment runs' });
    for (let i = 0; i < 5; i++) {
      fireEvent.click(
        screen.getByRole('checkbox', { name: `Compare run-${i}` }),
      );
    }
    expect(
      screen.getByRole('checkbox', { name: 'Compare run-5' }),
    ).toBeDisabled();
    expect(screen.getByText('5 of at most 5 picked')).toBeInTheDocument();
  });

  it('says which annotation to set when the entity names no experiment', async () => {
    await render({
      getExperimentRuns: async () => ({
        configured: false,
        entityRef: 'model:default/fraud-detector',
        reason:
          'model:default/fraud-detector names no MLflow experiment: add the annotation mlplatform.io/mlflow-experiment: <experiment name> to its catalog-info.yaml',
      }),
    });
    expect(
      await screen.findByText(/No MLflow experiment for this entity/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/add the annotation mlplatform.io\/mlflow-experiment/),
    ).toBeInTheDocument();
  });

  it('says how training code logs runs when the experiment has none', async () => {
    await render({ getExperimentRuns: async () => runsResponse([]) });
    expect(await screen.findByText('No runs yet')).toBeInTheDocument();
    expect(screen.getByText(/mlflow.start_run\(\)/)).toBeInTheDocument();
  });

  it('points at the annotation when MLflow has no such experiment', async () => {
    await render({
      getExperimentRuns: async () => {
        throw await responseError(
          404,
          'NotFoundError',
          'No experiment "fraud-detectr" in MLflow "team-mlflow" (mlflow:5000)',
        );
      },
    });
    expect(
      await screen.findByText(/Experiment not found in MLflow/),
    ).toBeInTheDocument();
    expect(screen.getByText(/fraud-detectr/)).toBeInTheDocument();
  });

  it('says MLflow did not answer on a 503', async () => {
    await render({
      getExperimentRuns: async () => {
        throw await responseError(
          503,
          'ServiceUnavailableError',
          'MLflow "team-mlflow" (mlflow:5000) is unreachable while reading runs: ECONNREFUSED',
        );
      },
    });
    expect(
      await screen.findByText(/MLflow did not answer/),
    ).toBeInTheDocument();
    expect(screen.getByText(/ECONNREFUSED/)).toBeInTheDocument();
  });

  it('shows progress while loading', async () => {
    await render({ getExperimentRuns: () => new Promise(() => {}) });
    expect(await screen.findByTestId('progress')).toBeInTheDocument();
  });

  it('works on a Pipeline page too', async () => {
    const getExperimentRuns = jest.fn(async () => runsResponse());
    await render(
      { getExperimentRuns },
      {
        apiVersion: 'mlplatform.io/v1alpha1',
        kind: 'Pipeline',
        metadata: { name: 'fraud-training', namespace: 'default' },
        spec: {},
      },
    );
    await screen.findByRole('table', { name: 'Experiment runs' });
    expect(getExperimentRuns).toHaveBeenCalledWith(
      { kind: 'pipeline', namespace: 'default', name: 'fraud-training' },
      expect.anything(),
    );
  });
});
