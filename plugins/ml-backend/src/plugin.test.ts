import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  AlertmanagerHandle,
  PrometheusHandle,
  RegistryHandle,
  describeIfBinary,
  feastBinary,
  getFreePort,
  serverBinaries,
  startAlertmanager,
  startPrometheus,
  startFeast,
  startRegistry,
} from '@mlplatform/test-services';
import { MlHealthResponse } from '@mlplatform/plugin-ml-common';
import request from 'supertest';
import { mlPlugin } from './plugin';

describeIfBinary([
  serverBinaries.prometheus,
  serverBinaries.alertmanager,
  serverBinaries.registry,
])('GET /api/ml/health against real servers', () => {
  let prometheus: PrometheusHandle;
  let alertmanager: AlertmanagerHandle;
  let registry: RegistryHandle;

  beforeAll(async () => {
    [prometheus, alertmanager, registry] = await Promise.all([
      startPrometheus(),
      startAlertmanager(),
      startRegistry({ htpasswd: { username: 'ml', password: 's3cret-pw' } }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([
      prometheus?.stop(),
      alertmanager?.stop(),
      registry?.stop(),
    ]);
  });

  it('reports each integration, reachable or not, without being signed in and without secrets', async () => {
    const closedPort = await getFreePort();
    const { server } = await startTestBackend({
      features: [
        mlPlugin,
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.none(),
        }),
        mockServices.rootConfig.factory({
          data: {
            ml: {
              prometheus: { url: prometheus.url },
              alertmanager: { url: alertmanager.url },
              registries: [
                {
                  name: 'models',
                  type: 'oci',
                  url: registry.url,
                  username: 'ml',
                  password: 's3cret-pw',
                },
                {
                  name: 'gone',
                  type: 'oci',
                  url: `http://127.0.0.1:${closedPort}`,
                },
              ],
            },
          },
        }),
      ],
    });

    const res = await request(server).get('/api/ml/health');

    expect(res.status).toBe(200);
    const body = res.body as MlHealthResponse;
    expect(body.version).toBe(require('../package.json').version);
    const byId = Object.fromEntries(body.integrations.map(i => [i.id, i]));
    expect(byId.prometheus.state).toBe('ok');
    expect(byId.prometheus.targets[0]).toMatchObject({
      host: new URL(prometheus.url).host,
      reachable: true,
    });
    expect(byId.alertmanager.state).toBe('ok');
    expect(byId.kubernetes).toMatchObject({
      state: 'not-configured',
      targets: [],
    });
    expect(byId.registry.state).toBe('degraded');
    expect(byId.registry.targets).toEqual([
      expect.objectContaining({ name: 'models', reachable: true }),
      expect.objectContaining({
        name: 'gone',
        reachable: false,
        error: 'ECONNREFUSED',
      }),
    ]);
    expect(JSON.stringify(body)).not.toContain('s3cret-pw');
  });

  it('treats a registry that asks for credentials (401) as reachable', async () => {
    const { server } = await startTestBackend({
      features: [
        mlPlugin,
        mockServices.rootConfig.factory({
          data: {
            ml: {
              registries: [{ name: 'models', type: 'oci', url: registry.url }],
            },
          },
        }),
      ],
    });
    const body = (await request(server).get('/api/ml/health'))
      .body as MlHealthResponse;
    // 401 means "up, wants credentials": the registry answers the version check.
    expect(body.integrations.find(i => i.id === 'registry')?.state).toBe('ok');
  });
});

describe('GET /api/ml/health with nothing configured', () => {
  it('says every integration is not configured and names its config key', async () => {
    const { server } = await startTestBackend({
      features: [mlPlugin, mockServices.rootConfig.factory({ data: {} })],
    });
    const body = (await request(server).get('/api/ml/health'))
      .body as MlHealthResponse;
    expect(body.integrations.map(i => [i.id, i.state, i.configKey])).toEqual([
      ['kubernetes', 'not-configured', 'ml.kubernetes.clusters'],
      ['registry', 'not-configured', 'ml.registries'],
      ['prometheus', 'not-configured', 'ml.prometheus'],
      ['alertmanager', 'not-configured', 'ml.alertmanager'],
      ['feast', 'not-configured', 'catalog.providers.mlFeast'],
    ]);
  });

  it('reports a cluster whose API server does not answer as unreachable', async () => {
    const port = await getFreePort();
    const { server } = await startTestBackend({
      features: [
        mlPlugin,
        mockServices.rootConfig.factory({
          data: {
            ml: {
              kubernetes: {
                clusters: [
                  {
                    name: 'gpu-a',
                    url: `https://127.0.0.1:${port}`,
                    token: 'x',
                  },
                ],
              },
            },
          },
        }),
      ],
    });
    const body = (await request(server).get('/api/ml/health'))
      .body as MlHealthResponse;
    expect(body.integrations[0]).toMatchObject({
      id: 'kubernetes',
      state: 'unreachable',
      targets: [{ name: 'gpu-a', host: `127.0.0.1:${port}`, reachable: false }],
    });
  });

  it('refuses to start with a malformed config', async () => {
    await expect(
      startTestBackend({
        features: [
          mlPlugin,
          mockServices.rootConfig.factory({
            data: { ml: { prometheus: { url: 'nope' } } },
          }),
        ],
      }),
    ).rejects.toThrow('ml config: ml.prometheus.url is not a URL');
  });
});

describe('GET /api/ml/audit', () => {
  it('needs a signed-in caller and validates its query', async () => {
    const { server } = await startTestBackend({
      features: [
        mlPlugin,
        mockServices.rootConfig.factory({ data: {} }),
        // Requests without a token are anonymous, as in a real backend.
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.none(),
        }),
      ],
    });
    const anonymous = await request(server).get('/api/ml/audit');
    expect(anonymous.status).toBe(401);

    const auth = { Authorization: mockCredentials.user.header() };
    const empty = await request(server).get('/api/ml/audit').set(auth);
    expect(empty.status).toBe(200);
    // Permissions are off in this backend, so ml.audit.read is allowed.
    expect(empty.body).toEqual({ items: [], scope: 'all' });

    const bad = await request(server)
      .get('/api/ml/audit?limit=0&color=red')
      .set(auth);
    expect(bad.status).toBe(400);
    expect(bad.body.error.name).toBe('InputError');
    expect(bad.body.error.message).toContain('limit: Too small');
  });
});

describeIfBinary(feastBinary)(
  'GET /api/ml/health with catalog.providers.mlFeast (real Feast)',
  () => {
    jest.setTimeout(180_000);

    const health = async (url: string) => {
      const { server } = await startTestBackend({
        features: [
          mlPlugin,
          mockServices.rootConfig.factory({
            data: {
              catalog: {
                providers: {
                  mlFeast: { name: 'team-feast', url, token: 'secret-token' },
                },
              },
            },
          }),
        ],
      });
      const res = await request(server).get('/api/ml/health');
      expect(JSON.stringify(res.body)).not.toContain('secret-token');
      return (res.body as MlHealthResponse).integrations.find(
        i => i.id === 'feast',
      );
    };

    it('says ok when its registry REST server answers, unreachable when it does not', async () => {
      const feast = await startFeast();
      try {
        expect(await health(feast.url)).toMatchObject({
          state: 'ok',
          title: 'Feast registry',
          configKey: 'catalog.providers.mlFeast',
          targets: [
            {
              name: 'team-feast',
              host: `127.0.0.1:${feast.port}`,
              reachable: true,
            },
          ],
        });
      } finally {
        await feast.stop();
      }
      const port = await getFreePort();
      const down = await health(`http://127.0.0.1:${port}`);
      expect(down).toMatchObject({
        state: 'unreachable',
        targets: [{ name: 'team-feast', reachable: false }],
      });
    });
  },
);
