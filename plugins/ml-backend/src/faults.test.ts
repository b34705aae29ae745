import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import permissionPlugin from '@backstage/plugin-permission-backend';
import {
  GpuQuotasResponse,
  ModelHealthResponse,
} from '@mlplatform/plugin-ml-common';
import { pushModel } from '@mlplatform/plugin-ml-oci';
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import {
  PostgresHandle,
  PrometheusHandle,
  RegistryHandle,
  describeIfBinary,
  demoMetricsBackfill,
  serverBinaries,
  startPostgres,
  startPrometheus,
  startRegistry,
} from '@mlplatform/test-services';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { parseAllDocuments } from 'yaml';
import { clusterASeed, clusterBSeed } from './__testUtils__/kubeSeeds';
import { RestartableServer, TcpGate, portOpen } from './__testUtils__/outages';
import { oboAuthServiceFactory } from './permissions/__testUtils__/oboAuthServiceFactory';
import { mlTestPolicyModule } from './permissions/__testUtils__/testPolicy';
import { mlPlugin } from './plugin';
import { userInfoServiceFactory } from './__testUtils__/testUsers';

// The real ML backend while its upstreams go away and come back: Prometheus
// and the registry are stopped and restarted on the same port with the same
// data, a cluster's API server stops answering (its port refuses
// connections) and comes back, and the backend's own PostgreSQL (a dedicated
// server, so no other test is disturbed) is shut down and restarted. The
// affected endpoints must say what is wrong, the others keep answering, the
// backend recovers without a restart, and no stored row is lost.

jest.setTimeout(180_000);

const ADA = 'user:default/ada';
const ROOT = 'user:default/root';
const GROUPS: Record<string, string[]> = {
  [ADA]: ['group:default/fraud-team'],
  [ROOT]: ['group:default/platform-team'],
};
const as = (user: string) => mockCredentials.user.header(user);

/** The demo Models (examples/ml), as the catalog would serve them. */
function exampleModels(): any[] {
  const dir = path.resolve(__dirname, '../../../examples/ml');
  return fs
    .readdirSync(dir)
    .filter(f => f.endsWith('.yaml'))
    .flatMap(f =>
      parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map(d =>
        d.toJS(),
      ),
    )
    .filter(e => e?.kind === 'Model');
}

const userInfoFactory = userInfoServiceFactory(GROUPS);

describeIfBinary([
  serverBinaries.prometheus,
  serverBinaries.registry,
  serverBinaries.initdb,
])('the ML backend while its services fail and come back', () => {
  let a: KubeApiServer;
  let b: KubeApiServer;
  let gateA: TcpGate;
  let prometheus: PrometheusHandle;
  let registry: RegistryHandle;
  let postgres: PostgresHandle;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  const restarted: RestartableServer[] = [];

  const get = (url: string, user = ADA) =>
    request(backend.server).get(url).set('authorization', as(user));
  /** Each phase asks for its own window: a fresh answer, not a cached one. */
  const health = async (window: string) =>
    (await get(`/api/ml/models/default/fraud-detector/health?window=${window}`))
      .body as ModelHealthResponse;
  const quotas = async () =>
    (await get('/api/ml/quotas')).body as GpuQuotasResponse;
  const clusterState = (q: GpuQuotasResponse, name: string) =>
    q.clusters.find(c => c.name === name);

  beforeAll(async () => {
    const now = Math.floor(Date.now() / 1000) - 5;
    [a, b, prometheus, registry, postgres] = await Promise.all([
      startKubeApiServer({ seed: clusterASeed(), controllers: true }),
      startKubeApiServer({ crds: [], seed: clusterBSeed(), controllers: true }),
      startPrometheus({ backfill: demoMetricsBackfill({ now, hours: 4 }) }),
      startRegistry(),
      startPostgres(),
    ]);
    gateA = await TcpGate.create(Number(new URL(a.url).port));
    for (const tag of ['v1', 'v2', 'v3']) {
      await pushModel({
        registry: registry.url,
        repository: 'models/fraud-detector',
        tag,
        file: { name: 'model.onnx', data: Buffer.from(`weights ${tag}`) },
        framework: 'onnx',
        aliases: tag === 'v3' ? ['production'] : [],
      });
    }
    const models = exampleModels().map(e =>
      e.metadata.name === 'fraud-detector'
        ? {
            ...e,
            metadata: {
              ...e.metadata,
              annotations: {
                ...e.metadata.annotations,
                'mlplatform.io/registry-ref': `oci://${registry.host}/models/fraud-detector`,
              },
            },
          }
        : e,
    );
    backend = await startTestBackend({
      features: [
        mlPlugin,
        permissionPlugin,
        mlTestPolicyModule({ admins: ['group:default/platform-team'] }),
        oboAuthServiceFactory,
        userInfoFactory,
        catalogServiceMock.factory({ entities: models }),
        mockServices.rootConfig.factory({
          data: {
            backend: {
              database: {
                client: 'pg',
                connection: {
                  host: postgres.host,
                  port: postgres.port,
                  user: postgres.user,
                },
              },
            },
            permission: { enabled: true },
            ml: {
              prometheus: { url: prometheus.url },
              registries: [{ name: 'local', type: 'oci', url: registry.url }],
              kubernetes: {
                refreshSeconds: 0,
                requestTimeoutSeconds: 3,
                clusters: [
                  {
                    name: 'gpu-cluster-a',
                    url: `https://127.0.0.1:${gateA.port}`,
                    token: a.token,
                    caData: a.caData,
                  },
                  {
                    name: 'gpu-cluster-b',
                    url: b.url,
                    token: b.token,
                    caData: b.caData,
                  },
                ],
              },
            },
          },
        }),
      ],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    for (const server of restarted) await server.close();
    await gateA?.close();
    await Promise.all([
      a?.stop(),
      b?.stop(),
      prometheus?.stop(),
      registry?.stop(),
      postgres?.stop(),
    ]);
  });

  it('answers normally with every service up', async () => {
    expect((await health('1h')).verdict).not.toBe('unknown');
    const versions = await get(
      '/api/ml/models/default/fraud-detector/versions',
    );
    expect(versions.status).toBe(200);
    expect(versions.body.versions.map((v: any) => v.version).sort()).toEqual([
      'v1',
      'v2',
      'v3',
    ]);
    const q = await quotas();
    expect(q.clusters.map(c => [c.name, c.available])).toEqual([
      ['gpu-cluster-a', true],
      ['gpu-cluster-b', true],
    ]);
  });

  it('Prometheus down: health says unknown and why, the rest answers, and health recovers by itself', async () => {
    const before = await health('1h');
    const server = RestartableServer.find({
      marker: prometheus.dataDir,
      port: prometheus.port,
    });
    restarted.push(server);
    await server.stop();

    const down = await health('2h');
    expect(down.verdict).toBe('unknown');
    expect(down.reason).toContain(
      `Prometheus at 127.0.0.1:${prometheus.port} did not answer`,
    );
    expect(
      (await get('/api/ml/models/default/fraud-detector/versions')).status,
    ).toBe(200);
    expect((await get('/api/ml/quotas')).status).toBe(200);

    await server.start(async () => {
      const res = await fetch(`${prometheus.url}/-/ready`);
      return res.status === 200;
    });
    const after = await health('3h');
    expect(after.verdict).toBe(before.verdict);
    expect(after.reason ?? '').not.toContain('did not answer');
  });

  it('registry down: versions answer 503 naming the registry, the rest answers, versions recover with the same data', async () => {
    const server = RestartableServer.find({
      marker: registry.storageDir.replace(/\/storage$/, ''),
      port: registry.port,
    });
    restarted.push(server);
    await server.stop();

    // A version list read before the outage is reused for up to 5 s.
    let down = await get('/api/ml/models/default/fraud-detector/versions');
    for (let i = 0; i < 20 && down.status === 200; i++) {
      await new Promise(r => setTimeout(r, 500));
      down = await get('/api/ml/models/default/fraud-detector/versions');
    }
    expect(down.status).toBe(503);
    expect(down.body.error.message).toMatch(
      new RegExp(`local|${registry.host.replace(/\./g, '\\.')}`),
    );
    expect(
      (await get('/api/ml/models/default/fraud-detector/health?window=4h'))
        .status,
    ).toBe(200);
    expect((await get('/api/ml/quotas')).status).toBe(200);

    await server.start(async () => {
      const res = await fetch(`${registry.url}/v2/`);
      return res.status === 200;
    });
    const up = await get('/api/ml/models/default/fraud-detector/versions');
    expect(up.status).toBe(200);
    expect(up.body.versions.map((v: any) => v.version).sort()).toEqual([
      'v1',
      'v2',
      'v3',
    ]);
  });

  it('a cluster down: it is marked unavailable while the other answers, and comes back by itself', async () => {
    await gateA.close();
    expect(await portOpen(gateA.port)).toBe(false);

    const down = await quotas();
    expect(clusterState(down, 'gpu-cluster-a')).toMatchObject({
      available: false,
      error: expect.any(String),
    });
    expect(clusterState(down, 'gpu-cluster-b')).toMatchObject({
      available: true,
    });
    expect(down.quotas.some(q => q.cluster === 'gpu-cluster-b')).toBe(true);
    expect(down.quotas.some(q => q.cluster === 'gpu-cluster-a')).toBe(false);
    expect(
      (await get('/api/ml/models/default/fraud-detector/versions')).status,
    ).toBe(200);

    await gateA.open();
    const up = await quotas();
    expect(clusterState(up, 'gpu-cluster-a')).toMatchObject({
      available: true,
    });
    expect(up.quotas.some(q => q.cluster === 'gpu-cluster-a')).toBe(true);
  });

  it('PostgreSQL down: notebooks and audit answer 503, the rest answers, and no row is lost when it returns', async () => {
    const created = await request(backend.server)
      .post('/api/ml/notebooks')
      .set('authorization', as(ADA))
      .send({
        name: 'fault-nb',
        cluster: 'gpu-cluster-b',
        namespace: 'fraud',
        image: 'quay.io/jupyter/minimal-notebook:2024-12-02',
        cpu: '1',
        memory: '4Gi',
        gpus: 1,
      });
    expect(created.status).toBe(201);
    const notebooksBefore = (await get('/api/ml/notebooks')).body;
    expect(notebooksBefore.items.map((n: any) => n.name)).toEqual(['fault-nb']);
    const auditBefore = (await get('/api/ml/audit?limit=500', ROOT)).body.items;
    expect(auditBefore.length).toBeGreaterThan(0);

    const server = RestartableServer.find({
      marker: postgres.dataDir,
      port: postgres.port,
      // PostgreSQL's fast shutdown, as test-services stops it.
      stopSignal: 'SIGINT',
    });
    restarted.push(server);
    await server.stop();

    const notebooksDown = await get('/api/ml/notebooks');
    expect(notebooksDown.status).toBe(503);
    expect(notebooksDown.body.error.message).toContain(
      "The ML backend's database is unavailable",
    );
    const auditDown = await get('/api/ml/audit', ROOT);
    expect(auditDown.status).toBe(503);
    expect(auditDown.body.error.message).toContain(
      "The ML backend's database is unavailable",
    );
    expect((await get('/api/ml/quotas')).status).toBe(200);
    expect(
      (await get('/api/ml/models/default/fraud-detector/versions')).status,
    ).toBe(200);
    expect(
      (await get('/api/ml/models/default/fraud-detector/health?window=5h'))
        .status,
    ).toBe(200);

    await server.start(() => portOpen(postgres.port));
    // The pool finds its connections dead and opens new ones by itself.
    let notebooksAfter: request.Response | undefined;
    for (let i = 0; i < 40; i++) {
      notebooksAfter = await get('/api/ml/notebooks');
      if (notebooksAfter.status === 200) break;
      await new Promise(r => setTimeout(r, 250));
    }
    expect(notebooksAfter!.status).toBe(200);
    expect(notebooksAfter!.body.items.map((n: any) => n.name)).toEqual([
      'fault-nb',
    ]);
    const auditAfter = (await get('/api/ml/audit?limit=500', ROOT)).body.items;
    expect(auditAfter).toEqual(auditBefore);
  });
});
