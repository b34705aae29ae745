import {
  configure,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { mlApiPair } from '../../__testUtils__/fixtures';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { Entity } from '@backstage/catalog-model';
import { MlApi } from '../../api';
import { ModelHealthCard, unknownAdvice } from './ModelHealthCard';
import {
  failingHealth,
  fraudModel,
  llmHealth,
  unknownHealth,
} from './testData';

// jsdom has no ResizeObserver, which recharts' ResponsiveContainer needs,
// and no layout: report every observed element as 400 x 160.
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
// The machine is shared; give slow renders time before failing.
configure({ asyncUtilTimeout: 10_000 });

function render(entity: Entity, impl: Partial<MlApi>) {
  return renderInTestApp(
    <EntityProvider entity={entity}>
      <ModelHealthCard />
    </EntityProvider>,
    {
      apis: [mlApiPair(impl)],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

describe('ModelHealthCard', () => {
  it('shows the verdict, reason, objectives and charts', async () => {
    const getModelHealth = jest.fn(async () => failingHealth);
    const { container } = await render(fraudModel, { getModelHealth });

    expect(await screen.findByTestId('verdict-failing')).toBeInTheDocument();
    expect(getModelHealth).toHaveBeenCalledWith(
      { namespace: 'default', name: 'fraud-detector' },
      '1h',
    );
    expect(screen.getByTestId('health-reason')).toHaveTextContent(
      'driftScore 0.72 > 0.6; alert ModelDriftHigh (critical) firing',
    );
    const table = screen.getByRole('table', { name: 'Objectives' });
    const latency = within(table).getByText('p95 latency').closest('tr')!;
    expect(latency).toHaveTextContent('≤ 50 ms');
    expect(latency).toHaveTextContent('42.1 ms');
    const errors = within(table).getByText('Error rate').closest('tr')!;
    expect(errors).toHaveTextContent('≤ 0.5 %');
    expect(errors).toHaveTextContent('0.21 %');
    const availability = within(table).getByText('Availability').closest('tr')!;
    expect(availability).toHaveTextContent('≥ 99.9 %');
    expect(availability).toHaveTextContent('no data');
    const drift = within(table).getByText('Drift score').closest('tr')!;
    expect(within(drift).getByTestId('status-failing')).toBeInTheDocument();

    expect(
      screen.queryByRole('figure', { name: 'Time to first token chart' }),
    ).not.toBeInTheDocument();
    for (const title of ['Latency', 'Error rate', 'Throughput', 'Drift']) {
      expect(
        within(
          screen.getByRole('figure', { name: `${title} chart` }),
        ).queryByText('No data in this window'),
      ).not.toBeInTheDocument();
    }
    expect(
      within(
        screen.getByRole('figure', { name: 'GPU memory chart' }),
      ).getByText('No data in this window'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Query failed: bad_data: parse error at char 12'),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(container.querySelectorAll('.recharts-wrapper').length).toBe(4),
    );
    expect(screen.getByText(/throughput 12.3 req\/s/)).toBeInTheDocument();
  });

  it('charts an LLM server with its SLO lines, and no LLM charts for other models', async () => {
    const { container } = await render(
      {
        ...fraudModel,
        metadata: { name: 'support-assistant-llm', namespace: 'default' },
      },
      { getModelHealth: async () => llmHealth },
    );

    expect(await screen.findByTestId('verdict-degraded')).toBeInTheDocument();
    const table = screen.getByRole('table', { name: 'Objectives' });
    const ttft = within(table)
      .getByText('p95 time to first token')
      .closest('tr')!;
    expect(ttft).toHaveTextContent('≤ 1 s');
    expect(ttft).toHaveTextContent('1.6 s');
    expect(within(ttft).getByTestId('status-degraded')).toBeInTheDocument();
    expect(
      within(table).getByText('p95 time per output token').closest('tr')!,
    ).toHaveTextContent('67.9 ms');
    expect(
      within(table).getByText('KV-cache use').closest('tr')!,
    ).toHaveTextContent('≤ 90 %');

    for (const title of [
      'Time to first token',
      'Time per output token',
      'Tokens',
      'Requests in flight',
      'KV cache',
    ]) {
      expect(
        within(
          screen.getByRole('figure', { name: `${title} chart` }),
        ).queryByText('No data in this window'),
      ).not.toBeInTheDocument();
    }
    // The embedding panel is not part of the vLLM profile.
    expect(
      screen.queryByRole('figure', { name: 'Batch size chart' }),
    ).not.toBeInTheDocument();
    await waitFor(() =>
      expect(container.querySelectorAll('.recharts-wrapper').length).toBe(8),
    );
    // The SLO lines, drawn as reference lines with their target.
    await waitFor(() =>
      expect(
        container.querySelectorAll('.recharts-reference-line').length,
      ).toBe(4),
    );
    expect(screen.getByText('SLO p95 1 s')).toBeInTheDocument();
    expect(screen.getByText('SLO p95 80 ms')).toBeInTheDocument();
    expect(screen.getByText('SLO 90 %')).toBeInTheDocument();
    expect(screen.getByText(/TTFT p95 1.6 s/)).toBeInTheDocument();
    expect(screen.getByText(/tokens out 880 tok\/s/)).toBeInTheDocument();
  });

  it('asks again when another window is picked', async () => {
    const getModelHealth = jest.fn(async (_ref, window?: string) => ({
      ...failingHealth,
      window: window ?? '1h',
    }));
    await render(fraudModel, { getModelHealth });
    await screen.findByTestId('verdict-failing');

    fireEvent.mouseDown(screen.getByRole('button', { name: 'Window' }));
    fireEvent.click(await screen.findByRole('option', { name: '7d' }));

    await waitFor(() =>
      expect(getModelHealth).toHaveBeenLastCalledWith(
        { namespace: 'default', name: 'fraud-detector' },
        '7d',
      ),
    );
    expect(await screen.findByText(/Window 7d/)).toBeInTheDocument();
  });

  it('shows an unknown verdict with its reason verbatim and what to do', async () => {
    await render(fraudModel, { getModelHealth: async () => unknownHealth });

    expect(await screen.findByTestId('verdict-unknown')).toBeInTheDocument();
    expect(screen.getByTestId('health-reason')).toHaveTextContent(
      unknownHealth.reason!,
    );
    expect(
      screen.getByText(/Add the mlplatform.io\/metrics-selector annotation/),
    ).toBeInTheDocument();
    expect(screen.queryByRole('figure')).not.toBeInTheDocument();
  });

  it('says Prometheus was not queried for a model without a metrics selector', async () => {
    await render(fraudModel, { getModelHealth: async () => unknownHealth });

    expect(await screen.findByTestId('verdict-unknown')).toBeInTheDocument();
    expect(
      screen.getByText(
        /^Not queried: this model has no mlplatform.io\/metrics-selector annotation, so nothing was measured/,
      ),
    ).toBeInTheDocument();
    // Nothing was measured, so the empty objectives say nothing about spec.slo.
    expect(screen.queryByText(/No objectives/)).not.toBeInTheDocument();
  });

  it('advises per cause of an unknown verdict', () => {
    expect(
      unknownAdvice({
        ...unknownHealth,
        reason: 'Prometheus is not configured',
        prometheus: { state: 'not-configured' },
      }),
    ).toMatch(/set ml.prometheus.url/);
    expect(
      unknownAdvice({
        ...unknownHealth,
        reason: 'Prometheus at 127.0.0.1:9090 did not answer: ECONNREFUSED',
        prometheus: { state: 'unreachable' },
      }),
    ).toMatch(/reachable from the Backstage backend/);
    expect(
      unknownAdvice({
        ...unknownHealth,
        reason: 'Prometheus has no series for {model="x"} in the last 1h',
        prometheus: { state: 'ok', message: 'selector model="x"' },
      }),
    ).toMatch(/exposes its metrics/);
  });

  it('shows the backend error verbatim', async () => {
    await render(fraudModel, {
      getModelHealth: async () => {
        throw Object.assign(new Error('Request failed with 400'), {
          body: {
            error: {
              message:
                'Invalid mlplatform.io/metrics-selector annotation: expected name="value"',
            },
          },
        });
      },
    });
    expect(
      await screen.findByText(
        'Invalid mlplatform.io/metrics-selector annotation: expected name="value"',
      ),
    ).toBeInTheDocument();
  });

  it('refuses to run on an entity that is not a model', async () => {
    const getModelHealth = jest.fn(async () => failingHealth);
    await render(
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name: 'web' },
        spec: { type: 'website' },
      },
      { getModelHealth },
    );
    expect(
      screen.getByText(/only works on Model entities/),
    ).toBeInTheDocument();
    expect(getModelHealth).not.toHaveBeenCalled();
  });
});
