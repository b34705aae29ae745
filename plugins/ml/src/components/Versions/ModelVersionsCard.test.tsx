import { Entity } from '@backstage/catalog-model';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { ModelVersionsResponse } from '@mlplatform/plugin-ml-common';
import {
  configure,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { mlApiPair } from '../../__testUtils__/fixtures';
import { MlApi } from '../../api';
import { fraudModel } from '../Health/testData';
import { ModelVersionsCard } from './ModelVersionsCard';

// jsdom has no ResizeObserver (recharts' ResponsiveContainer) and no layout.
class ResizeObserverStub {
  constructor(private readonly callback: ResizeObserverCallback) {}
  observe(target: Element) {
    this.callback(
      [{ target, contentRect: { width: 300, height: 64 } } as any],
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

const hoursAgo = (h: number) =>
  new Date(Date.now() - h * 3_600_000).toISOString();

function listing(): ModelVersionsResponse {
  return {
    entityRef: 'model:default/fraud-detector',
    registryRef: 'oci://localhost:5000/models/fraud-detector',
    registry: 'local',
    versions: [
      {
        version: 'v3',
        digest: 'sha256:333',
        created: hoursAgo(2),
        aliases: ['staging'],
        metrics: { auc: 0.97, recall: 0.84 },
        sourceRun: { id: 'fraud-train-3', url: 'http://kfp.test/runs/3' },
        datasetDigests: [],
        sizeBytes: 48213377,
      },
      {
        version: 'v2',
        digest: 'sha256:222',
        created: hoursAgo(50),
        aliases: ['production'],
        metrics: { auc: 0.95, recall: 0.86 },
        sourceRun: { id: 'fraud-train-2' },
        datasetDigests: [],
      },
    ],
  };
}

const authorize = jest.fn();

function render(
  impl: Partial<MlApi>,
  options: { entity?: Entity; allow?: boolean } = {},
) {
  authorize.mockImplementation((request: any) =>
    request.permission.name === 'ml.model.promote' &&
    request.resourceRef === 'model:default/fraud-detector' &&
    (options.allow ?? true)
      ? 'ALLOW'
      : 'DENY',
  );
  const permission = mockApis.permission({ authorize: authorize as any });
  return renderInTestApp(
    <EntityProvider entity={options.entity ?? fraudModel}>
      <ModelVersionsCard />
    </EntityProvider>,
    {
      apis: [mlApiPair(impl), [permissionApiRef, permission]],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

function rowOf(version: string) {
  return screen.getByText(version, { selector: 'strong' }).closest('tr')!;
}

describe('ModelVersionsCard', () => {
  it('lists versions newest first with aliases, metrics, run and size', async () => {
    const getModelVersions = jest.fn(async () => listing());
    await render({ getModelVersions });

    const table = await screen.findByRole(
      'table',
      { name: 'Versions' },
      { timeout: 10_000 },
    );
    expect(getModelVersions).toHaveBeenCalledWith({
      namespace: 'default',
      name: 'fraud-detector',
    });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows[0]).toHaveTextContent('v3');
    expect(rows[0]).toHaveTextContent('2 hours ago');
    expect(rows[0]).toHaveTextContent('staging');
    expect(rows[0]).toHaveTextContent('auc 0.97 · recall 0.84');
    expect(rows[0]).toHaveTextContent('46 MiB');
    expect(
      within(rows[0]).getByRole('link', { name: /fraud-train-3/ }),
    ).toHaveAttribute('href', 'http://kfp.test/runs/3');
    expect(rows[1]).toHaveTextContent('production');
    expect(rows[1]).toHaveTextContent('fraud-train-2');
    expect(
      screen.getByRole('figure', { name: 'auc across versions' }),
    ).toBeInTheDocument();
  });

  it('promotes after showing the metric diff, then lists again', async () => {
    let promoted = false;
    const getModelVersions = jest.fn(async () => {
      const l = listing();
      if (promoted) {
        l.versions[0].aliases = ['staging', 'production'];
        l.versions[1].aliases = [];
      }
      return l;
    });
    const promoteModel = jest.fn(async () => {
      promoted = true;
      return {
        entityRef: 'model:default/fraud-detector',
        alias: 'production',
        version: 'v3',
        previousVersion: 'v2',
      };
    });
    await render({ getModelVersions, promoteModel });
    await screen.findByRole('table', { name: 'Versions' }, { timeout: 10_000 });

    fireEvent.click(screen.getByRole('button', { name: 'Promote v3' }));
    const dialog = await screen.findByRole('dialog');
    // v3 already holds staging, so the first alias offered is production.
    expect(
      within(dialog).getByText('production moves from v2 to v3.'),
    ).toBeInTheDocument();
    const changes = within(dialog).getByRole('list', {
      name: 'Metric changes',
    });
    expect(changes).toHaveTextContent('auc 0.95 → 0.97 ▲');
    expect(changes).toHaveTextContent('recall 0.86 → 0.84 ▼');

    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Promote to production' }),
    );
    await waitFor(() =>
      expect(promoteModel).toHaveBeenCalledWith(
        { namespace: 'default', name: 'fraud-detector' },
        { alias: 'production', version: 'v3' },
      ),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    await waitFor(() => expect(getModelVersions).toHaveBeenCalledTimes(2));
    await waitFor(() => expect(rowOf('v3')).toHaveTextContent('production'));
    expect(rowOf('v2')).not.toHaveTextContent('production');
  });

  it('shows a refused promotion verbatim and keeps the dialog open', async () => {
    const message =
      'user:default/guest may not promote model:default/fraud-detector: owned by group:default/fraud-team';
    const promoteModel = jest.fn(async () => {
      throw Object.assign(new Error('Request failed with 403'), {
        body: { error: { message } },
      });
    });
    await render({ getModelVersions: async () => listing(), promoteModel });
    await screen.findByRole('table', { name: 'Versions' }, { timeout: 10_000 });

    fireEvent.click(screen.getByRole('button', { name: 'Promote v2' }));
    const dialog = await screen.findByRole('dialog');
    // v2 holds production; staging is offered first and held by v3.
    expect(
      within(dialog).getByText('staging moves from v3 to v2.'),
    ).toBeInTheDocument();
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Promote to staging' }),
    );

    expect(await within(dialog).findByRole('alert')).toHaveTextContent(message);
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });

  it('disables Promote when the permission is denied', async () => {
    // usePermission caches answers per resource across tests (SWR), so this
    // test uses a model of its own.
    await render(
      { getModelVersions: async () => listing() },
      {
        allow: false,
        entity: {
          ...fraudModel,
          metadata: { name: 'churn-model', namespace: 'default' },
        },
      },
    );
    await screen.findByRole('table', { name: 'Versions' }, { timeout: 10_000 });
    // Wait until the permission was asked and answered, then check.
    await waitFor(
      () =>
        expect(authorize).toHaveBeenCalledWith(
          expect.objectContaining({
            resourceRef: 'model:default/churn-model',
          }),
        ),
      { timeout: 10_000 },
    );
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(screen.getByRole('button', { name: 'Promote v3' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Promote v2' })).toBeDisabled();
  });

  it('asks for spec.registry when the model has none', async () => {
    const getModelVersions = jest.fn(async () => listing());
    await render(
      { getModelVersions },
      {
        entity: {
          ...fraudModel,
          spec: { ...fraudModel.spec, registry: undefined },
        } as Entity,
      },
    );
    expect(await screen.findByText(/add spec.registry/)).toBeInTheDocument();
    expect(getModelVersions).not.toHaveBeenCalled();
  });

  it('says when the registry is not configured', async () => {
    await render({
      getModelVersions: async () => {
        throw Object.assign(new Error('Request failed with 400'), {
          body: {
            error: {
              message:
                'Registry host localhost:5000 is not configured under ml.registries; refusing to contact it',
            },
          },
        });
      },
    });
    expect(
      await screen.findByText(/Registry not configured/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/Registry host localhost:5000 is not configured/),
    ).toBeInTheDocument();
  });

  it('shows a registry error verbatim', async () => {
    const message =
      'The registry "local" (127.0.0.1:5000) refused the configured credentials of user "ci" for tags of models/fraud-detector (HTTP 401)';
    await render({
      getModelVersions: async () => {
        throw Object.assign(new Error('Request failed with 503'), {
          body: { error: { message } },
        });
      },
    });
    expect(await screen.findByText(message)).toBeInTheDocument();
    expect(
      screen.queryByText(/Registry not configured/),
    ).not.toBeInTheDocument();
  });
});
