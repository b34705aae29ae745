import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  ModelServingResponse,
  ServingPlace,
} from '@mlplatform/plugin-ml-common';
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
import { ModelServingCard } from './ModelServingCard';

jest.setTimeout(30_000);
configure({ asyncUtilTimeout: 10_000 });

const stable: ServingPlace = {
  cluster: 'gpu-cluster-a',
  namespace: 'fraud',
  name: 'fraud-detector',
  kind: 'InferenceService',
  url: 'http://fraud-detector-fraud.example.com',
  version: 'v2',
  ready: true,
  replicas: { desired: 2, max: 4 },
  traffic: [
    {
      revision: 'fraud-detector-predictor-00001',
      percent: 100,
      role: 'stable',
      version: 'v2',
    },
  ],
};
const canary: ServingPlace = {
  ...stable,
  version: 'v3',
  canary: { percent: 10, version: 'v3', stableVersion: 'v2' },
  traffic: [
    {
      revision: 'fraud-detector-predictor-00002',
      percent: 10,
      role: 'canary',
      version: 'v3',
      health: { verdict: 'failing', p95: 0.24, errorRate: 0.2, throughput: 3 },
    },
    {
      revision: 'fraud-detector-predictor-00001',
      percent: 90,
      role: 'stable',
      version: 'v2',
    },
  ],
};
const broken: ServingPlace = {
  cluster: 'gpu-cluster-b',
  namespace: 'fraud',
  name: 'fraud-detector',
  kind: 'Deployment',
  version: 'v1',
  ready: false,
  reason: 'MinimumReplicasUnavailable',
  message: 'Deployment does not have minimum availability.',
  replicas: { ready: 1, desired: 3 },
  traffic: [
    { revision: 'fraud-detector', percent: 100, role: 'stable', version: 'v1' },
  ],
};
const answer = (places: ServingPlace[]): ModelServingResponse => ({
  entityRef: 'model:default/fraud-detector',
  clusters: ['gpu-cluster-a', 'gpu-cluster-b'],
  places,
  errors: [],
});

const authorize = jest.fn();

function render(impl: Partial<MlApi>, allow = true, entity = fraudModel) {
  authorize.mockImplementation((request: any) =>
    request.permission.name === 'ml.model.rollout' && allow ? 'ALLOW' : 'DENY',
  );
  const permission = mockApis.permission({ authorize: authorize as any });
  return renderInTestApp(
    <EntityProvider entity={entity}>
      <ModelServingCard />
    </EntityProvider>,
    {
      apis: [mlApiPair(impl), [permissionApiRef, permission]],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

describe('ModelServingCard', () => {
  it('lists each place with URL, version, readiness and its reason, replicas and traffic', async () => {
    await render({
      getModelServing: async () => answer([stable, broken]),
    });
    const table = await screen.findByRole('table', { name: 'Serving places' });
    const [a, b] = within(table).getAllByRole('row').slice(1);
    expect(a).toHaveTextContent('gpu-cluster-a · fraud/fraud-detector');
    expect(
      within(a).getByRole('link', { name: new RegExp(stable.url!) }),
    ).toHaveAttribute('href', stable.url);
    expect(a).toHaveTextContent('Ready');
    expect(a).toHaveTextContent('2–4');
    expect(a).toHaveTextContent('Stablev2 · 100%');
    expect(b).toHaveTextContent('Not ready');
    expect(b).toHaveTextContent(
      'MinimumReplicasUnavailable: Deployment does not have minimum availability.',
    );
    expect(b).toHaveTextContent('1/3');
    // a Deployment rolls out too (a canary Deployment beside it)
    expect(
      within(b).getByRole('button', {
        name: 'Roll out a version on gpu-cluster-b/Deployment/fraud/fraud-detector',
      }),
    ).toBeInTheDocument();
  });

  it('says why nothing is shown and what to do', async () => {
    await render({ getModelServing: async () => answer([]) });
    expect(
      await screen.findByText(
        /Not served anywhere: no InferenceService or Deployment on gpu-cluster-a, gpu-cluster-b is labelled/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('mlplatform.io/model: fraud-detector'),
    ).toBeInTheDocument();
    // The deployment template, with this model picked.
    const deploy = screen.getByRole('link', { name: /Deploy a version/ });
    const url = new URL(deploy.getAttribute('href')!, 'http://portal');
    expect(url.pathname).toBe('/create/templates/default/model-deployment');
    expect(JSON.parse(url.searchParams.get('formData')!)).toEqual({
      model: 'model:default/fraud-detector',
    });
  });

  it('shows canary and stable side by side; promote and roll back call the API', async () => {
    const rolloutModel = jest.fn(async () => ({} as any));
    await render({
      getModelServing: async () => answer([canary]),
      rolloutModel,
    });
    const c = await screen.findByTestId('traffic-canary');
    expect(c).toHaveTextContent('Canaryv3 · 10%');
    expect(screen.getByTestId('traffic-stable')).toHaveTextContent(
      'Stablev2 · 90%',
    );
    expect(screen.getByTestId('health-canary')).toHaveTextContent(
      '● failing · 20.0% errors · p95 240 ms',
    );
    fireEvent.click(screen.getByRole('button', { name: /^Promote v3/ }));
    await waitFor(() =>
      expect(rolloutModel).toHaveBeenCalledWith(
        { namespace: 'default', name: 'fraud-detector' },
        {
          action: 'promote',
          cluster: 'gpu-cluster-a',
          namespace: 'fraud',
          name: 'fraud-detector',
        },
      ),
    );
    fireEvent.click(screen.getByRole('button', { name: /^Roll back/ }));
    await waitFor(() => expect(rolloutModel).toHaveBeenCalledTimes(2));
    expect(rolloutModel).toHaveBeenLastCalledWith(
      expect.anything(),
      expect.objectContaining({ action: 'rollback' }),
    );
  });

  it('starts a canary from the dialog, refusing a percent out of range before sending', async () => {
    const rolloutModel = jest.fn(async () => ({} as any));
    await render({
      getModelServing: async () => answer([stable]),
      getModelVersions: async () => ({
        entityRef: 'model:default/fraud-detector',
        registryRef: 'oci://r/models/fraud-detector',
        registry: 'local',
        versions: [
          { version: 'v3', aliases: [], metrics: {}, datasetDigests: [] },
          {
            version: 'v2',
            aliases: ['production'],
            metrics: {},
            datasetDigests: [],
          },
        ],
      }),
      rolloutModel,
    });
    fireEvent.click(
      await screen.findByRole('button', { name: /^Roll out a version/ }),
    );
    const percent = await screen.findByLabelText('Canary traffic %');
    fireEvent.change(percent, { target: { value: '150' } });
    expect(
      await screen.findByText('must be from 0 to 100'),
    ).toBeInTheDocument();
    const start = screen.getByRole('button', { name: 'Start canary' });
    expect(start).toBeDisabled();
    fireEvent.change(percent, { target: { value: '20' } });
    fireEvent.click(start);
    await waitFor(() =>
      expect(rolloutModel).toHaveBeenCalledWith(
        { namespace: 'default', name: 'fraud-detector' },
        {
          action: 'canary',
          cluster: 'gpu-cluster-a',
          namespace: 'fraud',
          name: 'fraud-detector',
          version: 'v3',
          percent: 20,
        },
      ),
    );
  });

  it('offers no rollout to those the policy refuses', async () => {
    // another Model: the permission answers are cached per resource
    await render({ getModelServing: async () => answer([canary]) }, false, {
      ...fraudModel,
      metadata: { name: 'churn-model', namespace: 'default' },
    });
    await screen.findByTestId('traffic-canary');
    // Wait until the permission was asked and answered, then check.
    await waitFor(() =>
      expect(authorize).toHaveBeenCalledWith(
        expect.objectContaining({
          resourceRef: 'model:default/churn-model',
        }),
      ),
    );
    await new Promise(r => setTimeout(r, 50));
    expect(screen.queryByRole('button', { name: /Promote/ })).toBeNull();
  });
});
